/** CreateChannel: any agent creates a channel it owns; settings are checked and defaulted. */
import { requireAgent } from '@proof-messenger/auth';
import type { CreateChannelRequest } from '@proof-messenger/proto';
import type { HandlerContext } from '@proof-messenger/rpc';
import { type ChannelContext, callerOf } from '../context.ts';
import { checkSettings, toChannelMessage } from '../records.ts';

export function createChannel(ctx: ChannelContext) {
  return async (request: CreateChannelRequest, call: HandlerContext) => {
    const caller = requireAgent(await callerOf(ctx, call), 'create channels');
    const settings = checkSettings(ctx.config, request.channel);
    const channel = await ctx.channels.create({
      ...settings,
      ownerId: caller.agentId,
      epoch: 1,
      createdAtMs: ctx.now(),
    });
    ctx.log.info(
      { channelId: channel.channelId, ownerId: channel.ownerId, policy: channel.policy },
      'channel created',
    );
    return { channel: toChannelMessage(channel) };
  };
}
