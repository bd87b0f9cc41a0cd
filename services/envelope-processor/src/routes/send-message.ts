/**
 * SendMessage: cheap checks first, expensive ones last, and the answer only once the queue has
 * durably stored the message.
 *
 *  1. size (RESOURCE_EXHAUSTED beyond PM_MAX_ENVELOPE_BYTES), shape of header and signature
 *  2. the caller is the sender; created_at within the replay window; a direct message
 *  3. the sender's `send` rate limit (RESOURCE_EXHAUSTED with retry_after_ms), before any
 *     expensive work — SendMessages spends the whole batch at once instead
 *  4. the sender's key was registered and valid at created_at, and is not revoked (key directory)
 *  5. both signatures over the exact carried bytes (async native crypto: the thread pool)
 *  6. the send policy: the recipient is a registered agent, then the policy engine's SendMessage
 *     decision (fail closed)
 *  7. the replay guard: a new id is remembered; the same envelope again is an idempotent retry
 *     (same answer, `duplicate`); the same id with other content is a replay (ALREADY_EXISTS)
 *  8. enqueue into the recipient's partition (idempotent by sender + message id); in embedded
 *     mode 7 and 8 are one transaction (see stores/message-admission.ts)
 *
 * Audit (message-audit.ts): `message.sent` once the queue stored it (not for a retry an earlier
 * attempt already confirmed); `message.refused` for every refusal from step 2 on, that is of an
 * authenticated caller with a decodable envelope. Refusals in step 1 and of unauthenticated
 * callers are answered but not audited.
 *
 * `sendOne` is these steps for one envelope; SendMessages (send-messages.ts) runs it for each
 * envelope of a batch, so both RPCs check and store an envelope identically.
 */
import { type AgentCaller, requireAgent } from '@proof-messenger/auth';
import {
  InvalidArgumentError,
  PolicyDeniedError,
  ReplayError,
  StaleTimestampError,
  TooLargeError,
} from '@proof-messenger/errors';
import {
  ContentMode,
  type Envelope,
  type SendMessageRequest,
  type SendMessageResponse,
} from '@proof-messenger/proto';
import { type ParsedEnvelope, parseEnvelope, verifyEnvelope } from '@proof-messenger/protocol';
import { partitionOf, type QueuePriority } from '@proof-messenger/queue';
import type { HandlerContext } from '@proof-messenger/rpc';
import { callerOf, type EnvelopeProcessorContext } from '../context.ts';
import type { SentFacts } from '../message-audit.ts';
import { priorityName } from '../policy-send-policy.ts';
import { admitMessage } from '../stores/message-admission.ts';
import { receivedEnvelopes, storedEnvelope } from './received-envelopes.ts';

export function sendMessage(ctx: EnvelopeProcessorContext) {
  return (request: SendMessageRequest, call: HandlerContext) =>
    sendOne(ctx, request.envelope, {
      caller: async () => requireAgent(await callerOf(ctx, call), 'send messages'),
      spendRateLimit: true,
      stored: (facts) => ctx.audit.sent(facts),
      received: receivedEnvelopes(call.requestBytes, request.envelope === undefined ? 0 : 1)?.[0],
    });
}

/** How `sendOne` is called (SendMessage and SendMessages differ). */
export interface SendOneOptions {
  /** Asked after the cheap shape checks (a malformed envelope is refused as such first). */
  readonly caller: () => Promise<AgentCaller>;
  /** Take the sender's `send` token here (false when the batch already paid for it). */
  readonly spendRateLimit: boolean;
  /** Gets the facts of a stored send for its `message.sent` audit entry. */
  readonly stored: (facts: SentFacts) => void;
  /** The envelope as the client encoded it (see received-envelopes.ts), stored as is. */
  readonly received: Uint8Array | undefined;
}

/** What SendMessage answers for one stored envelope. */
export type SentEnvelope = Omit<SendMessageResponse, '$typeName'>;

/**
 * Checks, authorizes and durably stores one envelope (steps 1–8 above); resolves only once it is
 * stored. Throws the ProofMessengerError SendMessage answers with.
 */
export async function sendOne(
  ctx: EnvelopeProcessorContext,
  envelope: Envelope | undefined,
  options: SendOneOptions,
): Promise<SentEnvelope> {
  const size = envelope === undefined ? 0 : envelope.header.length + envelope.payload.length;
  if (size > ctx.config.maxEnvelopeBytes) {
    throw new TooLargeError(
      `envelope is ${size} bytes; the maximum is ${ctx.config.maxEnvelopeBytes}`,
      {
        field: 'envelope',
        metadata: { max: String(ctx.config.maxEnvelopeBytes), actual: String(size) },
      },
    );
  }
  const parsed = parseEnvelope(envelope);
  const { header } = parsed;
  const { agentId } = await options.caller();
  try {
    return await admit(ctx, parsed, agentId, size, options);
  } catch (error) {
    ctx.audit.refused(
      {
        senderId: agentId,
        recipientId: header.destination.case === undefined ? '' : header.destination.value,
        messageId: header.messageId,
      },
      error,
    );
    throw error;
  }
}

/** Steps 2–8 for an authenticated caller's decoded envelope. */
async function admit(
  ctx: EnvelopeProcessorContext,
  parsed: ParsedEnvelope,
  agentId: string,
  size: number,
  options: SendOneOptions,
): Promise<SentEnvelope> {
  const { header } = parsed;
  if (header.senderId !== agentId) {
    throw new PolicyDeniedError(`${agentId} may not send as ${header.senderId}`, {
      field: 'envelope.header.sender_id',
    });
  }
  if (header.destination.case !== 'recipientId') {
    throw new InvalidArgumentError(
      'SendMessage carries direct messages; publish channel messages with ChannelService.Publish',
      {
        field: 'envelope.header.recipient_id',
      },
    );
  }
  const recipientId = header.destination.value;
  const now = ctx.now();
  const createdAt = Number(header.createdAtMs);
  if (Math.abs(createdAt - now) > ctx.config.replayWindowMs) {
    throw new StaleTimestampError(
      `envelope.header.created_at_ms is ${Math.round(Math.abs(createdAt - now) / 1000)} s from the server clock; it must be within ${ctx.config.replayWindowMs / 1000} s`,
      { field: 'envelope.header.created_at_ms' },
    );
  }
  if (options.spendRateLimit) await ctx.rateLimiter.take(agentId, 'send');
  const senderKey = await ctx.directory.keyAt(header.senderId, header.senderKeyId, createdAt);
  const verified = await verifyEnvelope(ctx.provider, parsed, senderKey.publicKey);
  const ttlMs = header.ttlSeconds === 0 ? ctx.config.defaultTtlMs : header.ttlSeconds * 1000;
  await ctx.policy.authorizeSend({
    senderId: header.senderId,
    recipientId,
    header,
    sizeBytes: size,
    ttlMs,
  });

  const admission = await admitMessage(
    ctx.replay,
    ctx.queue,
    {
      senderId: header.senderId,
      messageId: header.messageId,
      digest: verified.digest,
      partition: partitionOf(recipientId, ctx.config.partitions),
      nowMs: now,
      forgetAfterMs: createdAt + ctx.config.replayWindowMs + ttlMs,
    },
    {
      messageId: header.messageId,
      senderId: header.senderId,
      recipientId,
      priority: (header.priority === 0 ? 2 : header.priority) as QueuePriority,
      expiresAtMs: createdAt + ttlMs,
      body: storedEnvelope(parsed.envelope, options.received),
      kind: 'envelope',
    },
  );
  if (admission.kind === 'conflict') {
    throw new ReplayError(
      `message id ${header.messageId} was already used by ${header.senderId} for another envelope`,
      {
        field: 'envelope.header.message_id',
      },
    );
  }
  if (admission.confirmed) {
    options.stored({
      senderId: header.senderId,
      recipientId,
      messageId: header.messageId,
      digest: verified.digest,
      priority: priorityName(header.priority),
      sizeBytes: size,
      ttlMs,
      cleartext: header.contentMode === ContentMode.SIGNED_CLEARTEXT,
      partition: admission.partition,
      retry: admission.retry,
    });
  }
  return {
    messageId: header.messageId,
    partition: admission.partition,
    acceptedAtMs: BigInt(admission.acceptedAtMs),
    duplicate: admission.duplicate,
  };
}
