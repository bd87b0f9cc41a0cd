/**
 * SendMessages: up to MAX_BATCH envelopes of the calling agent in one call, each checked and
 * stored exactly as SendMessage would (`sendOne`), each answered with its own result in request
 * order. It exists because the gRPC stack costs about as much CPU per call as verifying one
 * envelope (docs/envelope-processor.md, "Benchmark"): a batch pays it once.
 *
 * Refused whole, before any envelope is looked at: an empty or too long list (INVALID_ARGUMENT),
 * more envelope bytes in all than PM_MAX_ENVELOPE_BYTES (RESOURCE_EXHAUSTED; grpc-js's own request
 * limit sits 64 KiB above it), an unauthenticated caller or one that is not an agent, and — after
 * authentication, before any signature is verified — a batch the sender's `send` rate limit
 * cannot pay for: it costs one token per envelope, taken at once (RESOURCE_EXHAUSTED, reason
 * RATE_LIMITED, with retry_after_ms; nothing of it is stored, and one `message.refused` entry
 * with `details.envelopes` is audited).
 *
 * All envelopes run concurrently, so verification spreads over the worker pool and the embedded
 * queue's group commit stores them in a few transactions. An item is answered `sent` only once
 * it is durably stored; the stored ones share `message.sent` entries (one per recipient and
 * common facts, see MessageAudit.sentTogether). A refusal becomes that item's google.rpc.Status through the one status
 * mapper (internal faults reach the caller as INTERNAL with the generic message, and are logged).
 */
import { requireAgent } from '@proof-messenger/auth';
import { InvalidArgumentError, TooLargeError } from '@proof-messenger/errors';
import type { SendMessagesRequest } from '@proof-messenger/proto';
import { type HandlerContext, toStatus } from '@proof-messenger/rpc';
import { callerOf, type EnvelopeProcessorContext } from '../context.ts';
import type { SentFacts } from '../message-audit.ts';
import { receivedEnvelopes } from './received-envelopes.ts';
import { sendOne } from './send-message.ts';

/** Most envelopes one SendMessages call may carry. */
export const MAX_BATCH = 256;

export function sendMessages(ctx: EnvelopeProcessorContext) {
  return async (request: SendMessagesRequest, call: HandlerContext) => {
    const { envelopes } = request;
    if (envelopes.length === 0 || envelopes.length > MAX_BATCH) {
      throw new InvalidArgumentError(
        `envelopes holds ${envelopes.length} envelopes; send 1 to ${MAX_BATCH} per call`,
        { field: 'envelopes', metadata: { max: String(MAX_BATCH) } },
      );
    }
    let size = 0;
    for (const envelope of envelopes) size += envelope.header.length + envelope.payload.length;
    if (size > ctx.config.maxEnvelopeBytes) {
      throw new TooLargeError(
        `envelopes are ${size} bytes in all; the maximum per call is ${ctx.config.maxEnvelopeBytes}`,
        {
          field: 'envelopes',
          metadata: { max: String(ctx.config.maxEnvelopeBytes), actual: String(size) },
        },
      );
    }
    // Once per call: a batch is one agent's.
    const caller = requireAgent(await callerOf(ctx, call), 'send messages');
    try {
      await ctx.rateLimiter.take(caller.agentId, 'send', envelopes.length);
    } catch (error) {
      ctx.audit.refused(
        {
          senderId: caller.agentId,
          recipientId: '',
          details: { envelopes: String(envelopes.length) },
        },
        error,
      );
      throw error;
    }
    const callerOnce = () => Promise.resolve(caller);
    // In request order (they are stored in whatever order their checks finish).
    const stored: Array<SentFacts | undefined> = envelopes.map(() => undefined);
    const received = receivedEnvelopes(call.requestBytes, envelopes.length);
    const settled = await Promise.allSettled(
      envelopes.map((envelope, index) =>
        sendOne(ctx, envelope, {
          caller: callerOnce,
          spendRateLimit: false,
          stored: (facts) => {
            stored[index] = facts;
          },
          received: received?.[index],
        }),
      ),
    );
    ctx.audit.sentTogether(stored.filter((facts) => facts !== undefined));
    return {
      results: settled.map((outcome, index) =>
        outcome.status === 'fulfilled'
          ? { outcome: { case: 'sent' as const, value: outcome.value } }
          : {
              outcome: {
                case: 'error' as const,
                value: toStatus(outcome.reason, ctx.log, {
                  method: 'SendMessages',
                  peer: call.peer,
                  index,
                }),
              },
            },
      ),
    };
  };
}
