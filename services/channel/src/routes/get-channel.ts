/**
 * GetChannel: any authenticated caller reads a channel's settings; the allowlist is shown only to
 * the owner and operators (it says who is trusted, which is the owner's business).
 */
import type { GetChannelRequest } from '@proof-messenger/proto';
import type { HandlerContext } from '@proof-messenger/rpc';
import { type ChannelContext, callerOf } from '../context.ts';
import { channelOf, toChannelMessage } from '../records.ts';

export function getChannel(ctx: ChannelContext) {
  return async (request: GetChannelRequest, call: HandlerContext) => {
    const caller = await callerOf(ctx, call);
    const channel = await channelOf(ctx, 'channel_id', request.channelId);
    const mayManage = caller.kind === 'operator' || caller.agentId === channel.ownerId;
    const message = toChannelMessage(mayManage ? channel : { ...channel, allowlist: [] });
    return { channel: message };
  };
}
