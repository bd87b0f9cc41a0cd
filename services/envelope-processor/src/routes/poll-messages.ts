/** PollMessages: up to max_messages deliveries of the caller's own queue, waiting up to wait_ms. */
import { requireAgent } from '@proof-messenger/auth';
import { InvalidArgumentError } from '@proof-messenger/errors';
import type { PollMessagesRequest } from '@proof-messenger/proto';
import type { HandlerContext } from '@proof-messenger/rpc';
import { callerOf, type EnvelopeProcessorContext } from '../context.ts';
import { receiveBatch } from '../deliveries.ts';

export const MAX_BATCH = 256;
export const MAX_WAIT_MS = 30_000;

export function pollMessages(ctx: EnvelopeProcessorContext) {
  return async (request: PollMessagesRequest, call: HandlerContext) => {
    const { agentId } = requireAgent(await callerOf(ctx, call), 'receive messages');
    if (request.maxMessages > MAX_BATCH) {
      throw new InvalidArgumentError(
        `max_messages must be at most ${MAX_BATCH}, got ${request.maxMessages}`,
        { field: 'max_messages' },
      );
    }
    if (request.waitMs > MAX_WAIT_MS) {
      throw new InvalidArgumentError(
        `wait_ms must be at most ${MAX_WAIT_MS}, got ${request.waitMs}`,
        { field: 'wait_ms' },
      );
    }
    const max = request.maxMessages === 0 ? 32 : request.maxMessages;
    return { deliveries: await receiveBatch(ctx, agentId, max, request.waitMs, call.signal) };
  };
}
