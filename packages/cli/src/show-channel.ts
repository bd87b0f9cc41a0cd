/**
 * How `channel show`, `create` and `update` print a channel: a title line and its settings, or one
 * JSON object. The allowlist is shown only to those the server shows it to (the owner and
 * operators); for anyone else the server sends it empty, which must not read as "nobody".
 */
import type { Channel } from '@proof-messenger/proto';
import { policyName } from './channel-settings.ts';
import { isoTime, jsonLine } from './format.ts';

/** Who is looking: an agent id, or an operator. */
export type Viewer =
  | { readonly kind: 'agent'; readonly agentId: string }
  | { readonly kind: 'operator' };

function seesAllowlist(channel: Channel, viewer: Viewer): boolean {
  return viewer.kind === 'operator' || viewer.agentId === channel.ownerId;
}

/** The channel as one JSON line (`allowlist` only when the viewer may see it). */
export function channelJson(channel: Channel, viewer: Viewer): string {
  return jsonLine({
    channelId: channel.channelId,
    ownerId: channel.ownerId,
    policy: policyName(channel.policy),
    ...(seesAllowlist(channel, viewer) ? { allowlist: channel.allowlist } : {}),
    epoch: Number(channel.epoch),
    retentionSeconds: channel.retentionSeconds,
    maxMessageBytes: channel.maxMessageBytes,
    maxSubscribers: channel.maxSubscribers,
    createdAtMs: Number(channel.createdAtMs),
  });
}

/** The channel for a terminal, under `title` (e.g. `channel news`). */
export function channelText(title: string, channel: Channel, viewer: Viewer): string {
  const allowlist = !seesAllowlist(channel, viewer)
    ? '(shown to the owner only)'
    : channel.allowlist.length === 0
      ? '(none)'
      : channel.allowlist.join(', ');
  return `${[
    title,
    `  owner:             ${channel.ownerId}`,
    `  policy:            ${policyName(channel.policy)}`,
    `  allowlist:         ${allowlist}`,
    `  epoch:             ${channel.epoch}`,
    `  retention:         ${channel.retentionSeconds} s`,
    `  max message bytes: ${channel.maxMessageBytes}`,
    `  max subscribers:   ${channel.maxSubscribers}`,
    `  created:           ${isoTime(channel.createdAtMs)}`,
  ].join('\n')}\n`;
}
