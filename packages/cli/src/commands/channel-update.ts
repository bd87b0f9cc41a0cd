/**
 * `channel update <channel-id> …`: changes the given settings of a channel (owner or operator).
 * UpdateChannel replaces every setting, so the command reads the channel first and sends it back
 * with the changes; an update by someone else in between is overwritten. Members the new
 * settings no longer admit are removed by the server.
 */

import { channelIdArgument } from '../channel-id-argument.ts';
import { withChannelManager } from '../channel-manager.ts';
import {
  CHANNEL_SETTING_OPTIONS,
  type SettingChanges,
  settingChanges,
  updatedChannelSettings,
} from '../channel-settings.ts';
import { CliError } from '../cli-error.ts';
import type { Command } from '../command.ts';
import { ExitCode } from '../exit-code.ts';
import { wantsJson } from '../global-options.ts';
import { OPERATOR_CREDENTIAL_OPTION } from '../operator-credential.ts';
import { channelJson, channelText } from '../show-channel.ts';

export const channelUpdate: Command = {
  name: 'channel update',
  args: '<channel-id>',
  arity: [1, 1],
  summary: "change a channel's policy, allowlist or limits (owner or operator)",
  description: `Changes the settings given and keeps the others. --allow replaces the allowlist (give
every agent that stays); --clear-allowlist empties it. Subscribers the new settings no longer
admit are removed at once and cannot read what is published after the update.

Examples:
  proof-messenger channel update board --allow bob --allow dana
  proof-messenger channel update news --policy allowlist --allow bob
  proof-messenger channel update news --max-subscribers 50 --operator-credential-file .data/operator.credential`,
  options: {
    ...CHANNEL_SETTING_OPTIONS,
    'clear-allowlist': { type: 'boolean', description: 'empty the allowlist' },
    'operator-credential-file': OPERATOR_CREDENTIAL_OPTION,
  },
  groups: ['server', 'channel', 'key-store', 'output'],
  async run(invocation) {
    const { io, positionals, values } = invocation;
    const channelId = channelIdArgument(positionals[0] ?? '');
    let changes: SettingChanges = settingChanges(values);
    if (values['clear-allowlist'] === true) {
      if (changes.allowlist !== undefined) {
        throw new CliError(ExitCode.USAGE, 'give --allow or --clear-allowlist, not both');
      }
      changes = { ...changes, allowlist: [] };
    }
    if (Object.keys(changes).length === 0) {
      throw new CliError(
        ExitCode.USAGE,
        'nothing to change: give --policy, --allow, --clear-allowlist, --retention, --max-message-bytes or --max-subscribers',
      );
    }
    return withChannelManager(invocation, channelId, async (manager) => {
      const current = await manager.get(channelId);
      const channel = await manager.update(updatedChannelSettings(current, changes));
      io.stdout(
        wantsJson(values)
          ? channelJson(channel, manager.viewer)
          : channelText(`updated channel ${channel.channelId}`, channel, manager.viewer),
      );
      return ExitCode.OK;
    });
  },
};
