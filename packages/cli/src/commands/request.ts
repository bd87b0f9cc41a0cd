/**
 * `request <recipient> <text>`: sends a message with a fresh correlation id and waits for the
 * answer carrying it (which the recipient sends with `reply`); prints and acknowledges the answer.
 * Exit 5 when none arrives within `--timeout`.
 */
import { agentIdArgument } from '../agent-id-argument.ts';
import { withAgent } from '../agent-session.ts';
import type { Command } from '../command.ts';
import { ExitCode } from '../exit-code.ts';
import { wantsJson } from '../global-options.ts';
import { integerOption } from '../integer-option.ts';
import { explainRecipient, messageContent, SEND_OPTIONS, sendOptions } from '../message-input.ts';
import { showInbound } from '../show-inbound.ts';

export const request: Command = {
  name: 'request',
  args: '<recipient> [<text>|-]',
  arity: [1, 2],
  summary: 'send a request and wait for the reply',
  description: `Sends the content like \`send\`, with a fresh correlation id, then waits up to --timeout
seconds for the reply carrying that id, prints it and acknowledges it. Other messages that arrive
meanwhile stay queued for \`receive\`. Exits 5 when no reply comes in time.

Example:
  proof-messenger request pricing-bot "quote for 40 units?" --timeout 10`,
  options: {
    ...SEND_OPTIONS,
    timeout: {
      type: 'string',
      value: '<seconds>',
      description: 'how long to wait for the reply, 1-3600 (default 30)',
    },
  },
  groups: ['server', 'key-store', 'output'],
  async run(invocation) {
    const { io, positionals, values } = invocation;
    const recipient = agentIdArgument('recipient', positionals[0] ?? '');
    const content = await messageContent(io, values, positionals[1]);
    const options = sendOptions(values, content.isText);
    const timeoutMs = integerOption(values, 'timeout', 30, 1, 3600) * 1000;
    return withAgent(invocation, async ({ client }) => {
      const reply = await client()
        .request(recipient, content.bytes, { ...options, timeoutMs, signal: io.signal })
        .catch((error: unknown) => {
          throw explainRecipient(error, recipient);
        });
      io.stdout(showInbound(reply, wantsJson(values)));
      await reply.ack();
      return ExitCode.OK;
    });
  },
};
