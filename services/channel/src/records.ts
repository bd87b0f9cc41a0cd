/** Stored channel records ↔ wire messages, and the checks every channel route shares. */
import { create } from '@bufbuild/protobuf';
import type { Caller } from '@proof-messenger/auth';
import { InvalidArgumentError, NotFoundError, PolicyDeniedError } from '@proof-messenger/errors';
import { type Channel, ChannelPolicy, ChannelSchema } from '@proof-messenger/proto';
import { checkAgentId, checkChannelId } from '@proof-messenger/protocol';
import type { ChannelConfig } from './config.ts';
import type { ChannelContext } from './context.ts';
import type { ChannelRecord } from './ports/channel-store.ts';

/** Most agents on an allowlist. */
export const MAX_ALLOWLIST = 10_000;

export function toChannelMessage(record: ChannelRecord): Channel {
  return create(ChannelSchema, {
    channelId: record.channelId,
    ownerId: record.ownerId,
    policy: record.policy,
    retentionSeconds: record.retentionSeconds,
    maxMessageBytes: record.maxMessageBytes,
    maxSubscribers: record.maxSubscribers,
    allowlist: [...record.allowlist],
    historyVisibleToNewMembers: false,
    epoch: BigInt(record.epoch),
    createdAtMs: BigInt(record.createdAtMs),
  });
}

/** The settings of `channel` checked and with defaults applied (for create and update). */
export function checkSettings(
  config: ChannelConfig,
  channel: Channel | undefined,
): Omit<ChannelRecord, 'channelId' | 'ownerId' | 'epoch' | 'createdAtMs'> & { channelId: string } {
  if (channel === undefined) {
    throw new InvalidArgumentError('channel is required', { field: 'channel' });
  }
  const channelId = checkChannelId('channel.channel_id', channel.channelId);
  if (
    !Object.values(ChannelPolicy).includes(channel.policy) ||
    channel.policy === ChannelPolicy.UNSPECIFIED
  ) {
    throw new InvalidArgumentError(
      'channel.policy must be CHANNEL_POLICY_OPEN, _PRIVATE, _AUTHZ_REQUIRED or _ALLOWLIST',
      { field: 'channel.policy' },
    );
  }
  if (channel.historyVisibleToNewMembers) {
    throw new InvalidArgumentError(
      'channel.history_visible_to_new_members is not supported: members read only what is published while they are members (see docs/channels.md)',
      { field: 'channel.history_visible_to_new_members' },
    );
  }
  if (channel.maxMessageBytes > config.maxMessageBytes) {
    throw new InvalidArgumentError(
      `channel.max_message_bytes must be at most ${config.maxMessageBytes}, got ${channel.maxMessageBytes}`,
      { field: 'channel.max_message_bytes' },
    );
  }
  if (channel.maxSubscribers > config.maxSubscribers) {
    throw new InvalidArgumentError(
      `channel.max_subscribers must be at most ${config.maxSubscribers}, got ${channel.maxSubscribers}`,
      { field: 'channel.max_subscribers' },
    );
  }
  if (channel.retentionSeconds > 365 * 86_400) {
    throw new InvalidArgumentError(
      `channel.retention_seconds must be at most ${365 * 86_400} (a year), got ${channel.retentionSeconds}`,
      { field: 'channel.retention_seconds' },
    );
  }
  if (channel.allowlist.length > MAX_ALLOWLIST) {
    throw new InvalidArgumentError(
      `channel.allowlist may name at most ${MAX_ALLOWLIST} agents, got ${channel.allowlist.length}`,
      { field: 'channel.allowlist' },
    );
  }
  const allowlist = [
    ...new Set(channel.allowlist.map((id, i) => checkAgentId(`channel.allowlist[${i}]`, id))),
  ].sort();
  return {
    channelId,
    policy: channel.policy,
    retentionSeconds:
      channel.retentionSeconds === 0 ? config.defaultRetentionSeconds : channel.retentionSeconds,
    maxMessageBytes:
      channel.maxMessageBytes === 0 ? config.maxMessageBytes : channel.maxMessageBytes,
    maxSubscribers: channel.maxSubscribers === 0 ? config.maxSubscribers : channel.maxSubscribers,
    allowlist,
  };
}

/** The channel, or NOT_FOUND. */
export async function channelOf(
  ctx: ChannelContext,
  field: string,
  raw: string,
): Promise<ChannelRecord> {
  const channelId = checkChannelId(field, raw);
  const channel = await ctx.channels.get(channelId);
  if (channel === undefined) {
    throw new NotFoundError(`channel ${channelId} does not exist`, { field });
  }
  return channel;
}

/** Only the owner or an operator may manage a channel. */
export function requireOwner(caller: Caller, channel: ChannelRecord, action: string): void {
  if (caller.kind === 'operator') return;
  if (caller.agentId !== channel.ownerId) {
    throw new PolicyDeniedError(
      `only the owner (${channel.ownerId}) or an operator may ${action} channel ${channel.channelId}`,
      { field: 'channel_id' },
    );
  }
}

/** Page size and token of a listing (the token is the last agent id of the previous page). */
export function pageOf(
  pageSize: number,
  pageToken: string,
  defaultSize: number,
  maxSize = 10_000,
): { size: number; after: string } {
  if (pageSize > maxSize) {
    throw new InvalidArgumentError(`page_size must be at most ${maxSize}, got ${pageSize}`, {
      field: 'page_size',
    });
  }
  const after = pageToken === '' ? '' : checkAgentId('page_token', pageToken);
  return { size: pageSize === 0 ? defaultSize : pageSize, after };
}
