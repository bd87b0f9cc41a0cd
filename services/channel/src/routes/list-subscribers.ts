/** ListSubscribers: the owner or an operator pages through a channel's subscribers. */
import type { ListSubscribersRequest } from '@proof-messenger/proto';
import type { HandlerContext } from '@proof-messenger/rpc';
import { type ChannelContext, callerOf } from '../context.ts';
import { channelOf, pageOf, requireOwner } from '../records.ts';

export function listSubscribers(ctx: ChannelContext) {
  return async (request: ListSubscribersRequest, call: HandlerContext) => {
    const caller = await callerOf(ctx, call);
    const channel = await channelOf(ctx, 'channel_id', request.channelId);
    requireOwner(caller, channel, 'list the subscribers of');
    const { size, after } = pageOf(request.pageSize, request.pageToken, 1000);
    const members = await ctx.channels.members(channel.channelId, after, size);
    return {
      subscriberIds: members.map((m) => m.agentId),
      nextPageToken: members.length === size ? (members.at(-1)?.agentId ?? '') : '',
    };
  };
}
