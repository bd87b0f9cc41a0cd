/** `channel show <channel-id>`: a channel's owner, policy, epoch and limits (any agent). */
import { channelIdArgument } from '../channel-id-argument.ts';
import { withChannelManager } from '../channel-manager.ts';
import type { Command } from '../command.ts';
import { ExitCode } from '../exit-code.ts';
import { wantsJson } from '../global-options.ts';
import { OPERATOR_CREDENTIAL_OPTION } from '../operator-credential.ts';
import { channelJson, channelText } from '../show-channel.ts';

export const channelShow: Command = {
  name: 'channel show',
  args: '<channel-id>',
  arity: [1, 1],
  summary: "show a channel's owner, policy, epoch and limits",
  description: `Shows a channel's settings: owner, policy, allowlist (to the owner and operators
only), epoch (it starts anew with every membership change), retention, message size and
subscriber limits, creation time.

Examples:
  proof-messenger channel show news
  proof-messenger channel show news --json | jq .epoch`,
  options: { 'operator-credential-file': OPERATOR_CREDENTIAL_OPTION },
  groups: ['server', 'channel', 'key-store', 'output'],
  async run(invocation) {
    const { io, positionals, values } = invocation;
    const channelId = channelIdArgument(positionals[0] ?? '');
    return withChannelManager(invocation, channelId, async (manager) => {
      const channel = await manager.get(channelId);
      io.stdout(
        wantsJson(values)
          ? channelJson(channel, manager.viewer)
          : channelText(`channel ${channel.channelId}`, channel, manager.viewer),
      );
      return ExitCode.OK;
    });
  },
};
