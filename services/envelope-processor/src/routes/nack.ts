/** Nack: return a delivery to the caller's queue, to be redelivered after delay_ms (≤ 1 hour). */
import { requireAgent } from '@proof-messenger/auth';
import { InvalidArgumentError } from '@proof-messenger/errors';
import type { NackRequest } from '@proof-messenger/proto';
import type { HandlerContext } from '@proof-messenger/rpc';
import { callerOf, type EnvelopeProcessorContext } from '../context.ts';

const MAX_DELAY_MS = 3_600_000;

export function nack(ctx: EnvelopeProcessorContext) {
  return async (request: NackRequest, call: HandlerContext) => {
    const caller = requireAgent(await callerOf(ctx, call), 'nack deliveries');
    if (request.deliveryId === '' || request.deliveryId.length > 512) {
      throw new InvalidArgumentError('delivery_id is required (the id from Delivery.delivery_id)', {
        field: 'delivery_id',
      });
    }
    if (request.delayMs > MAX_DELAY_MS) {
      throw new InvalidArgumentError(
        `delay_ms must be at most ${MAX_DELAY_MS}, got ${request.delayMs}`,
        { field: 'delay_ms' },
      );
    }
    await ctx.queue.nack(caller.agentId, request.deliveryId, request.delayMs, ctx.now());
    return {};
  };
}
