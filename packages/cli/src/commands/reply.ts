/**
 * `reply <recipient> <reply-to> <text>`: answers a request. `<reply-to>` is what `receive`
 * printed for the request (its correlation id, or its message id when it had none); the CLI keeps
 * no state between runs, so the id travels through the caller.
 */

import { MAX_CORRELATION_ID } from '@proof-messenger/protocol';
import { agentIdArgument } from '../agent-id-argument.ts';
import { withAgent } from '../agent-session.ts';
import { CliError } from '../cli-error.ts';
import type { Command } from '../command.ts';
import { writeEnvelopeFile } from '../envelope-file.ts';
import { ExitCode } from '../exit-code.ts';
import { jsonLine } from '../format.ts';
import { optionString, wantsJson } from '../global-options.ts';
import { explainRecipient, messageContent, SEND_OPTIONS, sendOptions } from '../message-input.ts';

export const reply: Command = {
  name: 'reply',
  args: '<recipient> <reply-to> [<text>|-]',
  arity: [2, 3],
  summary: 'answer a request (with the reply-to id receive printed)',
  description: `Sends the content to <recipient> as the answer to the request whose reply-to id
\`receive\` printed (\`replyTo\` in --json). The requester's \`proof-messenger request\` is waiting for
exactly that id.

Example:
  proof-messenger reply alice 0193b1c2-… "40 units: 1,200 EUR"`,
  options: SEND_OPTIONS,
  groups: ['server', 'key-store', 'output'],
  async run(invocation) {
    const { io, positionals, values } = invocation;
    const recipient = agentIdArgument('recipient', positionals[0] ?? '');
    const correlationId = positionals[1] ?? '';
    if (correlationId === '' || correlationId.length > MAX_CORRELATION_ID) {
      throw new CliError(
        ExitCode.USAGE,
        `<reply-to> must be 1-${MAX_CORRELATION_ID} characters: the reply-to id receive printed`,
      );
    }
    const content = await messageContent(io, values, positionals[2]);
    const options = { ...sendOptions(values, content.isText), correlationId };
    return withAgent(invocation, async (session) => {
      const sent = await session
        .client()
        .send(recipient, content.bytes, options)
        .catch((error: unknown) => {
          throw explainRecipient(error, recipient);
        });
      const saveTo = optionString(values, 'save-envelope');
      if (saveTo !== undefined) await writeEnvelopeFile(saveTo, sent.envelope);
      io.stdout(
        wantsJson(values)
          ? jsonLine({ messageId: sent.messageId, recipientId: recipient, correlationId })
          : `sent reply ${sent.messageId} to ${recipient}\n`,
      );
      return ExitCode.OK;
    });
  },
};
