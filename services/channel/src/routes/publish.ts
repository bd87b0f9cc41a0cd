/**
 * Publish: cheap checks first, expensive ones last, and the answer once the publication is stored
 * durably; the fanout to every member's queue then runs beside this path (fanout.ts).
 *
 *  1. size (RESOURCE_EXHAUSTED beyond PM_CHANNEL_MAX_MESSAGE_BYTES, then the channel's own limit)
 *  2. shape; the caller is the publisher; a channel message; created_at within the replay window
 *  3. the channel exists and the envelope is for its current epoch (FAILED_PRECONDITION,
 *     EPOCH_CHANGED otherwise: fetch the members and encrypt for the current epoch)
 *  4. the publisher's key valid at created_at; both signatures over the exact carried bytes
 *  5. the channel policy (fail closed)
 *  6. encrypted under a sender key (one entry, no KEM ciphertext), signed cleartext, or — content
 *     type CHANNEL_KEY_CONTENT_TYPE — a sender-key distribution to members' KEM keys, which only
 *     those members receive
 *  7. stored once by (publisher, message id): the same envelope again is an idempotent retry, the
 *     same id with other content a replay (ALREADY_EXISTS)
 */
import { toBinary } from '@bufbuild/protobuf';
import { requireAgent } from '@proof-messenger/auth';
import {
  EpochChangedError,
  InvalidArgumentError,
  PolicyDeniedError,
  ReplayError,
  StaleTimestampError,
  TooLargeError,
} from '@proof-messenger/errors';
import { ContentMode, EnvelopeSchema, type PublishRequest } from '@proof-messenger/proto';
import {
  CHANNEL_KEY_CONTENT_TYPE,
  parseEnvelope,
  senderKeyIdOf,
  verifyEnvelope,
} from '@proof-messenger/protocol';
import type { HandlerContext } from '@proof-messenger/rpc';
import { type ChannelContext, callerOf } from '../context.ts';
import { channelOf } from '../records.ts';

export function publish(ctx: ChannelContext) {
  return async (request: PublishRequest, call: HandlerContext) => {
    const envelope = request.envelope;
    const size = envelope === undefined ? 0 : envelope.header.length + envelope.payload.length;
    if (size > ctx.config.maxMessageBytes) {
      throw new TooLargeError(
        `envelope is ${size} bytes; the maximum is ${ctx.config.maxMessageBytes}`,
        {
          field: 'envelope',
          metadata: { max: String(ctx.config.maxMessageBytes), actual: String(size) },
        },
      );
    }
    const parsed = parseEnvelope(envelope);
    const { header } = parsed;
    const caller = requireAgent(await callerOf(ctx, call), 'publish');
    if (header.senderId !== caller.agentId) {
      throw new PolicyDeniedError(`${caller.agentId} may not publish as ${header.senderId}`, {
        field: 'envelope.header.sender_id',
      });
    }
    if (header.destination.case !== 'channelId') {
      throw new InvalidArgumentError(
        'Publish carries channel messages; send direct messages with EnvelopeProcessorService.SendMessage',
        { field: 'envelope.header.channel_id' },
      );
    }
    // Before any key lookup or signature work: a flood costs a bucket check each.
    await ctx.governance.rateLimiter.take(caller.agentId, 'publish');
    const now = ctx.now();
    const createdAt = Number(header.createdAtMs);
    if (Math.abs(createdAt - now) > ctx.config.replayWindowMs) {
      throw new StaleTimestampError(
        `envelope.header.created_at_ms is ${Math.round(Math.abs(createdAt - now) / 1000)} s from the server clock; it must be within ${ctx.config.replayWindowMs / 1000} s`,
        { field: 'envelope.header.created_at_ms' },
      );
    }
    const channel = await channelOf(ctx, 'envelope.header.channel_id', header.destination.value);
    if (size > channel.maxMessageBytes) {
      throw new TooLargeError(
        `envelope is ${size} bytes; channel ${channel.channelId} accepts at most ${channel.maxMessageBytes}`,
        {
          field: 'envelope',
          metadata: { max: String(channel.maxMessageBytes), actual: String(size) },
        },
      );
    }
    if (header.channelEpoch !== BigInt(channel.epoch)) {
      throw new EpochChangedError(
        `channel ${channel.channelId} is at epoch ${channel.epoch}, the envelope is for epoch ${header.channelEpoch}: fetch the members (GetChannelMembers) and encrypt for epoch ${channel.epoch}`,
        { field: 'envelope.header.channel_epoch', metadata: { epoch: String(channel.epoch) } },
      );
    }
    const keyIds = recipientsOf(header);
    const publisherKey = await ctx.directory.keyAt(header.senderId, header.senderKeyId, createdAt);
    const verified = await verifyEnvelope(ctx.provider, parsed, publisherKey.publicKey);
    await ctx.policy.authorize('publish', caller, channel, {
      sizeBytes: size,
      priority: PRIORITY_NAMES[header.priority] ?? 'normal',
      contentType: header.contentType,
    });

    const ttlMs =
      header.ttlSeconds === 0 ? channel.retentionSeconds * 1000 : header.ttlSeconds * 1000;
    const expiresAtMs = Math.min(createdAt + ttlMs, now + channel.retentionSeconds * 1000);
    const subscriberCount = await ctx.channels.memberCount(channel.channelId);
    const verdict = await ctx.publications.accept({
      senderId: header.senderId,
      messageId: header.messageId,
      channelId: channel.channelId,
      digest: verified.digest,
      epoch: channel.epoch,
      envelope: toBinary(EnvelopeSchema, parsed.envelope),
      priority: header.priority === 0 ? 2 : header.priority,
      expiresAtMs,
      acceptedAtMs: now,
      subscriberCount,
      keyIds,
    });
    if (verdict.kind === 'conflict') {
      throw new ReplayError(
        `message id ${header.messageId} was already used by ${header.senderId} for another envelope`,
        { field: 'envelope.header.message_id' },
      );
    }
    if (verdict.kind !== 'retry') {
      ctx.audit.published(
        header.senderId,
        channel,
        header.messageId,
        verified.digest,
        subscriberCount,
      );
    }
    ctx.kickFanout();
    return {
      messageId: header.messageId,
      subscriberCount: verdict.kind === 'retry' ? verdict.subscriberCount : subscriberCount,
      duplicate: verdict.kind === 'retry',
    };
  };
}

/** Publish's `context.priority` as the schema names it (UNSPECIFIED counts as normal). */
const PRIORITY_NAMES: Readonly<Record<number, string>> = {
  0: 'normal',
  1: 'low',
  2: 'normal',
  3: 'high',
  4: 'critical',
};

/**
 * The member key ids a sender-key distribution is for ([] for a message every member gets).
 * @throws InvalidArgumentError when an encrypted message is neither
 */
function recipientsOf(header: ReturnType<typeof parseEnvelope>['header']): string[] {
  if (header.contentMode === ContentMode.SIGNED_CLEARTEXT) return [];
  if (header.contentType === CHANNEL_KEY_CONTENT_TYPE) {
    if (senderKeyIdOf(header) !== '') {
      throw new InvalidArgumentError(
        "a sender-key distribution must be encrypted to members' KEM keys",
        {
          field: 'envelope.header.recipients',
        },
      );
    }
    return header.recipients.map((entry) => entry.keyId);
  }
  if (senderKeyIdOf(header) === '') {
    throw new InvalidArgumentError(
      'a channel message must be encrypted under your sender key for the epoch (one recipient entry without KEM ciphertext), or be a sender-key distribution',
      { field: 'envelope.header.recipients' },
    );
  }
  return [];
}
