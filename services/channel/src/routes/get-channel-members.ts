/**
 * GetChannelMembers: the current epoch and its members with their signed member keys, for agents
 * that may publish — they encrypt their sender key for the epoch to these keys (and verify each
 * statement against the member's identity key themselves: this service is not trusted with that).
 */
import { fromBinary } from '@bufbuild/protobuf';
import { type GetChannelMembersRequest, SignedStatementSchema } from '@proof-messenger/proto';
import type { HandlerContext } from '@proof-messenger/rpc';
import { type ChannelContext, callerOf } from '../context.ts';
import { channelOf, pageOf } from '../records.ts';

export function getChannelMembers(ctx: ChannelContext) {
  return async (request: GetChannelMembersRequest, call: HandlerContext) => {
    const caller = await callerOf(ctx, call);
    const channel = await channelOf(ctx, 'channel_id', request.channelId);
    if (caller.kind === 'agent') await ctx.policy.authorize('publish', caller, channel);
    // A member entry is about 4.7 KiB (the ML-DSA-65 signature and X-Wing key): 200 a page keeps
    // a page near 1 MiB, well under gRPC's default 4 MiB message limit.
    const { size, after } = pageOf(request.pageSize, request.pageToken, 200, 500);
    const members = await ctx.channels.members(channel.channelId, after, size);
    return {
      epoch: BigInt(channel.epoch),
      members: members.map((m) => ({
        agentId: m.agentId,
        memberKey: fromBinary(SignedStatementSchema, m.memberKey),
        joinedEpoch: BigInt(m.joinedEpoch),
      })),
      nextPageToken: members.length === size ? (members.at(-1)?.agentId ?? '') : '',
    };
  };
}
