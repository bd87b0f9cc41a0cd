/**
 * CreateChannel: an agent creates a channel it owns, when the policy permits (the default: any
 * agent); settings are checked and defaulted first, so the policy sees the channel as it would be.
 */
import { requireAgent } from '@proof-messenger/auth';
import type { CreateChannelRequest } from '@proof-messenger/proto';
import type { HandlerContext } from '@proof-messenger/rpc';
import { type ChannelContext, callerOf } from '../context.ts';
import { checkSettings, toChannelMessage } from '../records.ts';

export function createChannel(ctx: ChannelContext) {
  return async (request: CreateChannelRequest, call: HandlerContext) => {
    const caller = requireAgent(await callerOf(ctx, call), 'create channels');
    const settings = checkSettings(ctx.config, request.channel);
    await ctx.governance.rateLimiter.take(caller.agentId, 'manage_channel');
    const proposed = { ...settings, ownerId: caller.agentId, epoch: 1, createdAtMs: ctx.now() };
    await ctx.policy.authorizeManagement('create', caller, proposed);
    const channel = await ctx.channels.create(proposed);
    ctx.audit.created(caller, channel);
    ctx.log.info(
      { channelId: channel.channelId, ownerId: channel.ownerId, policy: channel.policy },
      'channel created',
    );
    return { channel: toChannelMessage(channel) };
  };
}
