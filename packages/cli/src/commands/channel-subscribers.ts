/** `channel subscribers <channel-id>`: every subscriber of a channel (owner or operator). */
import { channelIdArgument } from '../channel-id-argument.ts';
import { withChannelManager } from '../channel-manager.ts';
import type { Command } from '../command.ts';
import { ExitCode } from '../exit-code.ts';
import { jsonLine } from '../format.ts';
import { wantsJson } from '../global-options.ts';
import { OPERATOR_CREDENTIAL_OPTION } from '../operator-credential.ts';

export const channelSubscribers: Command = {
  name: 'channel subscribers',
  args: '<channel-id>',
  arity: [1, 1],
  summary: 'list the subscribers of a channel (owner or operator)',
  description: `Prints the agent id of every subscriber, one per line, in order (--json: one object
with the list).

Examples:
  proof-messenger channel subscribers news
  proof-messenger channel subscribers news --json | jq '.subscribers | length'`,
  options: { 'operator-credential-file': OPERATOR_CREDENTIAL_OPTION },
  groups: ['server', 'channel', 'key-store', 'output'],
  async run(invocation) {
    const { io, positionals, values } = invocation;
    const channelId = channelIdArgument(positionals[0] ?? '');
    return withChannelManager(invocation, channelId, async (manager) => {
      const subscribers = await manager.listSubscribers(channelId);
      if (wantsJson(values)) {
        io.stdout(jsonLine({ channelId, subscribers }));
      } else if (subscribers.length === 0) {
        io.stderr(`no subscribers on ${channelId}\n`);
      } else {
        io.stdout(subscribers.map((id) => `${id}\n`).join(''));
      }
      return ExitCode.OK;
    });
  },
};
