/** `channel delete <channel-id>`: deletes a channel (owner or operator); subscribers get a notice. */
import { channelIdArgument } from '../channel-id-argument.ts';
import { withChannelManager } from '../channel-manager.ts';
import type { Command } from '../command.ts';
import { ExitCode } from '../exit-code.ts';
import { jsonLine } from '../format.ts';
import { wantsJson } from '../global-options.ts';
import { OPERATOR_CREDENTIAL_OPTION } from '../operator-credential.ts';

export const channelDelete: Command = {
  name: 'channel delete',
  args: '<channel-id>',
  arity: [1, 1],
  summary: 'delete a channel (owner or operator); subscribers get a channel-deleted notice',
  description: `Deletes the channel: its subscriptions end and every subscriber receives a
channel-deleted notice (shown by \`proof-messenger receive\`). The id can then be used again.

Examples:
  proof-messenger channel delete news`,
  options: { 'operator-credential-file': OPERATOR_CREDENTIAL_OPTION },
  groups: ['server', 'channel', 'key-store', 'output'],
  async run(invocation) {
    const { io, positionals, values } = invocation;
    const channelId = channelIdArgument(positionals[0] ?? '');
    return withChannelManager(invocation, channelId, async (manager) => {
      await manager.delete(channelId);
      io.stdout(
        wantsJson(values)
          ? jsonLine({ channelId, deleted: true })
          : `deleted channel ${channelId}; its subscribers get a channel-deleted notice\n`,
      );
      return ExitCode.OK;
    });
  },
};
