/**
 * The one NOT_FOUND both adapters throw for ack / nack, so the caller sees the same message
 * whatever the reason: an unknown or malformed id, an id already acked, one past its lease or
 * superseded by a redelivery, or another recipient's (which must not be told apart from an
 * unknown one, or ids of other recipients could be probed).
 */
import { NotFoundError } from '@proof-messenger/errors';

/** The message of the error, exported so the contract suite can assert it exactly. */
export function deliveryNotFoundMessage(recipientId: string, deliveryId: string): string {
  const shown = deliveryId.length > 80 ? `${deliveryId.slice(0, 77)}...` : deliveryId;
  return `delivery ${shown} is not an open delivery of recipient ${recipientId}: it is unknown, already acknowledged, past its lease, redelivered, or another recipient's`;
}

/** A NotFoundError for an ack or nack of `deliveryId` by `recipientId`. */
export function deliveryNotFound(recipientId: string, deliveryId: string): NotFoundError {
  return new NotFoundError(deliveryNotFoundMessage(recipientId, deliveryId), {
    field: 'deliveryId',
  });
}
