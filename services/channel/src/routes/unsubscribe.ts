/** Unsubscribe: the caller leaves (a new epoch starts, so it cannot read what comes after). */
import { requireAgent } from '@proof-messenger/auth';
import { NotFoundError } from '@proof-messenger/errors';
import type { UnsubscribeRequest } from '@proof-messenger/proto';
import type { HandlerContext } from '@proof-messenger/rpc';
import { type ChannelContext, callerOf } from '../context.ts';
import { channelOf } from '../records.ts';

export function unsubscribe(ctx: ChannelContext) {
  return async (request: UnsubscribeRequest, call: HandlerContext) => {
    const caller = requireAgent(await callerOf(ctx, call), 'unsubscribe');
    await ctx.governance.rateLimiter.take(caller.agentId, 'subscribe');
    const channel = await channelOf(ctx, 'channel_id', request.channelId);
    if (!(await ctx.channels.leave(channel.channelId, caller.agentId))) {
      throw new NotFoundError(`${caller.agentId} is not subscribed to ${channel.channelId}`, {
        field: 'channel_id',
      });
    }
    ctx.audit.unsubscribed(caller.agentId, channel.channelId);
    ctx.log.info({ channelId: channel.channelId, agentId: caller.agentId }, 'unsubscribed');
    return {};
  };
}
