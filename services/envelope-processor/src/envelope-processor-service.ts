/** The EnvelopeProcessorService implementation: one handler per RPC, each in `routes/`. */
import type { EnvelopeProcessorService } from '@proof-messenger/proto';
import type { ServiceImplementation } from '@proof-messenger/rpc';
import type { EnvelopeProcessorContext } from './context.ts';
import { acknowledge } from './routes/acknowledge.ts';
import { getQueueState } from './routes/get-queue-state.ts';
import { nack } from './routes/nack.ts';
import { pollMessages } from './routes/poll-messages.ts';
import { receiveMessages } from './routes/receive-messages.ts';
import { sendMessage } from './routes/send-message.ts';
import { sendMessages } from './routes/send-messages.ts';
import { verifyEnvelope } from './routes/verify-envelope.ts';

/** Handlers for every EnvelopeProcessorService RPC. */
export function envelopeProcessorImplementation(
  ctx: EnvelopeProcessorContext,
): ServiceImplementation<typeof EnvelopeProcessorService> {
  return {
    sendMessage: sendMessage(ctx),
    sendMessages: sendMessages(ctx),
    receiveMessages: receiveMessages(ctx),
    pollMessages: pollMessages(ctx),
    acknowledge: acknowledge(ctx),
    nack: nack(ctx),
    verifyEnvelope: verifyEnvelope(ctx),
    getQueueState: getQueueState(ctx),
  };
}
