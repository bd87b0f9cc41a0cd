/** Conversion of queue deliveries to `proofmessenger.v1.Delivery`, and the receive loop both RPCs share. */
import { create, fromBinary } from '@bufbuild/protobuf';
import {
  type Delivery,
  DeliverySchema,
  EnvelopeSchema,
  NoticeSchema,
} from '@proof-messenger/proto';
import type { QueueDelivery } from '@proof-messenger/queue';
import type { EnvelopeProcessorContext } from './context.ts';
import { noticesFor } from './notices.ts';

/** A queue delivery as the wire message. */
export function toDelivery(delivery: QueueDelivery): Delivery {
  const { message } = delivery;
  return create(DeliverySchema, {
    deliveryId: delivery.deliveryId,
    deliveryCount: delivery.deliveryCount,
    enqueuedAtMs: BigInt(delivery.enqueuedAtMs),
    content:
      message.kind === 'notice'
        ? { case: 'notice', value: fromBinary(NoticeSchema, message.body) }
        : { case: 'envelope', value: fromBinary(EnvelopeSchema, message.body) },
  });
}

/**
 * Leases up to `max` deliveries for `recipientId`, turning queue events into sender notices;
 * each direct message handed over is audited as `message.delivered`.
 */
export async function receiveBatch(
  ctx: EnvelopeProcessorContext,
  recipientId: string,
  max: number,
  waitMs: number,
  signal?: AbortSignal,
): Promise<Delivery[]> {
  const { deliveries, events } = await ctx.queue.receive(
    recipientId,
    { max, waitMs, signal },
    ctx.now(),
  );
  await noticesFor(ctx, events);
  return deliveries.map((delivery) => {
    const wire = toDelivery(delivery);
    // Direct messages only: notices are the platform's own, channel copies the channel service's.
    if (delivery.message.kind === 'envelope' && wire.content.case === 'envelope') {
      ctx.audit.delivered(delivery.message, wire.content.value, delivery.deliveryCount);
    }
    return wire;
  });
}
