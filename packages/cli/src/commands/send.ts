/** `send <recipient> <text|->`: one encrypted (or signed cleartext) message, sent and confirmed. */
import { agentIdArgument } from '../agent-id-argument.ts';
import { withAgent } from '../agent-session.ts';
import type { Command } from '../command.ts';
import { writeEnvelopeFile } from '../envelope-file.ts';
import { ExitCode } from '../exit-code.ts';
import { jsonLine } from '../format.ts';
import { optionString, wantsJson } from '../global-options.ts';
import { explainRecipient, messageContent, SEND_OPTIONS, sendOptions } from '../message-input.ts';

export const send: Command = {
  name: 'send',
  args: '<recipient> [<text>|-]',
  arity: [1, 2],
  summary: 'send a message (encrypted, or signed cleartext)',
  description: `Sends the text (or stdin with -, or a file with --file) to <recipient>, encrypted to
the recipient's verified prekey and signed with this agent's identity key; --cleartext signs it
without encrypting. Returns once the server has stored it durably. --correlation-id answers a
request (or use \`proof-messenger reply\`).

Examples:
  proof-messenger send bob "hello bob"
  proof-messenger send bob --cleartext --save-envelope po-7.envelope "I approve PO-7"
  cat report.pdf | proof-messenger send auditor - --content-type application/pdf --priority high`,
  options: {
    ...SEND_OPTIONS,
    'correlation-id': {
      type: 'string',
      value: '<id>',
      description: 'mark the message as the reply to this request',
    },
  },
  groups: ['server', 'key-store', 'output'],
  async run(invocation) {
    const { io, positionals, values } = invocation;
    const recipient = agentIdArgument('recipient', positionals[0] ?? '');
    const content = await messageContent(io, values, positionals[1]);
    const correlationId = optionString(values, 'correlation-id');
    const options = {
      ...sendOptions(values, content.isText),
      ...(correlationId === undefined ? {} : { correlationId }),
    };
    return withAgent(invocation, async (session) => {
      const sent = await session
        .client()
        .send(recipient, content.bytes, options)
        .catch((error: unknown) => {
          throw explainRecipient(error, recipient);
        });
      const saveTo = optionString(values, 'save-envelope');
      if (saveTo !== undefined) await writeEnvelopeFile(saveTo, sent.envelope);
      if (wantsJson(values)) {
        io.stdout(
          jsonLine({
            messageId: sent.messageId,
            recipientId: recipient,
            partition: sent.partition,
            duplicate: sent.duplicate,
          }),
        );
      } else {
        io.stdout(`sent ${sent.messageId} to ${recipient}\n`);
      }
      return ExitCode.OK;
    });
  },
};
