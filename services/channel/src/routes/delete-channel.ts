/**
 * DeleteChannel: who the policy permits (the default: the owner or an operator) deletes a channel. Its subscriptions end, and every
 * subscriber gets a NOTICE_KIND_CHANNEL_DELETED notice in its queue. Notices are stored before the
 * channel is deleted, so a delete that fails half way is retried with the members still known; a
 * notice is stored once per member however often that happens (its id is derived from channel,
 * creation time and member).
 */
import { create, toBinary } from '@bufbuild/protobuf';
import { callerName } from '@proof-messenger/auth';
import { type DeleteChannelRequest, NoticeKind, NoticeSchema } from '@proof-messenger/proto';
import { derivedMessageId } from '@proof-messenger/protocol';
import type { HandlerContext } from '@proof-messenger/rpc';
import { type ChannelContext, callerOf } from '../context.ts';
import { channelOf } from '../records.ts';

const PLATFORM_SENDER = 'platform';
const NOTICE_TTL_MS = 7 * 86_400_000;

export function deleteChannel(ctx: ChannelContext) {
  return async (request: DeleteChannelRequest, call: HandlerContext) => {
    const caller = await callerOf(ctx, call);
    const channel = await channelOf(ctx, 'channel_id', request.channelId);
    await ctx.governance.rateLimiter.take(callerName(caller), 'manage_channel');
    await ctx.policy.authorizeManagement('delete', caller, channel);
    const members: string[] = [];
    for (let page = await ctx.channels.members(channel.channelId, '', 1000); page.length > 0; ) {
      members.push(...page.map((member) => member.agentId));
      page = await ctx.channels.members(channel.channelId, members.at(-1) ?? '', 1000);
    }
    const now = ctx.now();
    const body = toBinary(
      NoticeSchema,
      create(NoticeSchema, {
        kind: NoticeKind.CHANNEL_DELETED,
        recipientId: channel.channelId,
        atMs: BigInt(now),
        reason: `channel ${channel.channelId} was deleted by ${callerName(caller)}`,
      }),
    );
    for (let i = 0; i < members.length; i += ctx.config.fanoutConcurrency) {
      await Promise.all(
        members.slice(i, i + ctx.config.fanoutConcurrency).map((memberId) =>
          ctx.queue.enqueue(
            {
              messageId: derivedMessageId(
                ctx.provider,
                'proof-messenger/channel-deleted/v1',
                channel.channelId,
                String(channel.createdAtMs),
                memberId,
              ),
              senderId: PLATFORM_SENDER,
              recipientId: memberId,
              priority: 3,
              expiresAtMs: now + NOTICE_TTL_MS,
              body,
              kind: 'notice',
            },
            now,
          ),
        ),
      );
    }
    await ctx.channels.delete(channel.channelId);
    ctx.audit.deleted(caller, channel.channelId, members.length);
    ctx.log.info(
      { channelId: channel.channelId, by: callerName(caller), members: members.length },
      'channel deleted',
    );
    return {};
  };
}
