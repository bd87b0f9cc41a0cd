/**
 * Subscribe: the caller joins a channel with a member key — a KEM public key for this channel,
 * signed by the caller's current identity key — that publishers encrypt their sender keys to.
 * Joining starts a new epoch (publishers must encrypt for it), so a new member cannot read what was
 * published before it joined. Re-subscribing with the same key changes nothing.
 */

import { toBinary } from '@bufbuild/protobuf';
import { requireAgent } from '@proof-messenger/auth';
import { InvalidArgumentError, StaleTimestampError } from '@proof-messenger/errors';
import {
  ChannelMemberKeySchema,
  SignedStatementSchema,
  type SubscribeRequest,
} from '@proof-messenger/proto';
import { checkKemPublicKeyUsable, verifyStatement } from '@proof-messenger/protocol';
import type { HandlerContext } from '@proof-messenger/rpc';
import { type ChannelContext, callerOf } from '../context.ts';
import { channelOf } from '../records.ts';

export function subscribe(ctx: ChannelContext) {
  return async (request: SubscribeRequest, call: HandlerContext) => {
    const caller = requireAgent(await callerOf(ctx, call), 'subscribe');
    await ctx.governance.rateLimiter.take(caller.agentId, 'subscribe');
    const channel = await channelOf(ctx, 'channel_id', request.channelId);
    await ctx.policy.authorize('subscribe', caller, channel);
    const statement = request.memberKey;
    if (statement === undefined) {
      throw new InvalidArgumentError(
        'member_key is required: a ChannelMemberKey signed with your identity key',
        {
          field: 'member_key',
        },
      );
    }
    const now = ctx.now();
    const signer = await ctx.directory.keyAt(caller.agentId, statement.signature?.keyId ?? '', now);
    const body = await verifyStatement(
      ctx.provider,
      ChannelMemberKeySchema,
      statement,
      signer.publicKey,
      'member_key',
    );
    if (body.channelId !== channel.channelId || body.agentId !== caller.agentId) {
      throw new InvalidArgumentError(
        `member_key must name channel ${channel.channelId} and agent ${caller.agentId}, got ${body.channelId} / ${body.agentId}`,
        { field: 'member_key' },
      );
    }
    const age = Math.abs(Number(body.createdAtMs) - now);
    if (age > ctx.config.replayWindowMs) {
      throw new StaleTimestampError(
        `member_key.created_at_ms is ${Math.round(age / 1000)} s from the server clock; it must be within ${ctx.config.replayWindowMs / 1000} s`,
        { field: 'member_key.created_at_ms' },
      );
    }
    const key = await checkKemPublicKeyUsable(ctx.provider, body.key, 'member_key.key');
    const { epoch, changed } = await ctx.channels.join(
      {
        channelId: channel.channelId,
        agentId: caller.agentId,
        memberKey: toBinary(SignedStatementSchema, statement),
        memberKeyId: key.keyId,
        joinedAtMs: now,
      },
      channel.maxSubscribers,
    );
    if (changed) {
      ctx.audit.subscribed(caller.agentId, channel.channelId, epoch);
      ctx.log.info({ channelId: channel.channelId, agentId: caller.agentId, epoch }, 'subscribed');
    }
    return { epoch: BigInt(epoch) };
  };
}
