/** `channel create <channel-id> --policy …`: a channel owned by the key store's agent. */
import { withAgent } from '../agent-session.ts';
import { channelIdArgument } from '../channel-id-argument.ts';
import {
  CHANNEL_SETTING_OPTIONS,
  newChannelSettings,
  settingChanges,
} from '../channel-settings.ts';
import type { Command } from '../command.ts';
import { ExitCode } from '../exit-code.ts';
import { wantsJson } from '../global-options.ts';
import { channelJson, channelText } from '../show-channel.ts';

export const channelCreate: Command = {
  name: 'channel create',
  args: '<channel-id>',
  arity: [1, 1],
  summary: 'create a channel this agent owns (--policy open|private|allowlist|authz-required)',
  description: `Creates the channel <channel-id> (1-128 of a-z, 0-9, '.', '_', '-'), owned by this agent:
only the owner (or an operator) updates or deletes it and lists its subscribers. --policy decides
who subscribes and publishes; --allow names the agents private and allowlist channels admit.
Limits left out take the server's defaults.

Examples:
  proof-messenger channel create news --policy open
  proof-messenger channel create board --policy private --allow bob --allow carol
  proof-messenger channel create ops --policy allowlist --allow bob,carol --retention 3600`,
  options: CHANNEL_SETTING_OPTIONS,
  groups: ['server', 'channel', 'key-store', 'output'],
  async run(invocation) {
    const { io, positionals, values } = invocation;
    const channelId = channelIdArgument(positionals[0] ?? '');
    const settings = newChannelSettings(channelId, settingChanges(values));
    return withAgent(invocation, async (session) => {
      const channel = await session.channels().create(settings);
      const viewer = { kind: 'agent', agentId: session.keys.agentId } as const;
      io.stdout(
        wantsJson(values)
          ? channelJson(channel, viewer)
          : channelText(`created channel ${channel.channelId}`, channel, viewer),
      );
      return ExitCode.OK;
    });
  },
};
