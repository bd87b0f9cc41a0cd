/**
 * UpdateChannel: who the policy permits (the default: the owner or an operator) replaces a
 * channel's settings. Members the new settings
 * no longer admit are removed at once, which starts a new epoch: they cannot read anything
 * published after the update.
 */
import { callerName } from '@proof-messenger/auth';
import type { UpdateChannelRequest } from '@proof-messenger/proto';
import type { HandlerContext } from '@proof-messenger/rpc';
import { type ChannelContext, callerOf } from '../context.ts';
import { channelOf, checkSettings, toChannelMessage } from '../records.ts';

export function updateChannel(ctx: ChannelContext) {
  return async (request: UpdateChannelRequest, call: HandlerContext) => {
    const caller = await callerOf(ctx, call);
    const settings = checkSettings(ctx.config, request.channel);
    const current = await channelOf(ctx, 'channel.channel_id', settings.channelId);
    await ctx.governance.rateLimiter.take(callerName(caller), 'manage_channel');
    await ctx.policy.authorizeManagement('update', caller, current);
    const { channelId, ...rest } = settings;
    const next = { ...current, ...rest };
    const { channel, removed } = await ctx.channels.update(channelId, rest, (agentId) =>
      ctx.policy.mayStay(agentId, next),
    );
    ctx.audit.updated(caller, current, channel, removed);
    ctx.log.info(
      { channelId, by: callerName(caller), removed: removed.length, epoch: channel.epoch },
      'channel updated',
    );
    return { channel: toChannelMessage(channel) };
  };
}
