/**
 * ReceiveMessages: pushes the caller's deliveries while the stream is open. Each round leases up to
 * max_in_flight deliveries and waits up to a few seconds for new ones; unacknowledged deliveries
 * come back after the ack wait, so a stream that dies loses nothing.
 */
import { requireAgent } from '@proof-messenger/auth';
import { InvalidArgumentError } from '@proof-messenger/errors';
import type { ReceiveMessagesRequest } from '@proof-messenger/proto';
import type { HandlerContext } from '@proof-messenger/rpc';
import { callerOf, type EnvelopeProcessorContext } from '../context.ts';
import { receiveBatch } from '../deliveries.ts';
import { MAX_BATCH } from './poll-messages.ts';

const ROUND_WAIT_MS = 5_000;

export function receiveMessages(ctx: EnvelopeProcessorContext) {
  return async function* (request: ReceiveMessagesRequest, call: HandlerContext) {
    const { agentId } = requireAgent(await callerOf(ctx, call), 'receive messages');
    if (request.maxInFlight > MAX_BATCH) {
      throw new InvalidArgumentError(
        `max_in_flight must be at most ${MAX_BATCH}, got ${request.maxInFlight}`,
        {
          field: 'max_in_flight',
        },
      );
    }
    const max = request.maxInFlight === 0 ? 32 : request.maxInFlight;
    while (!call.signal.aborted) {
      const deliveries = await receiveBatch(ctx, agentId, max, ROUND_WAIT_MS, call.signal);
      for (const delivery of deliveries) yield { delivery };
    }
  };
}
