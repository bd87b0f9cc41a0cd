/**
 * Input checks and the redelivery schedule shared by the adapters, so both reject the same bad
 * input with the same messages and compute the same lease times. Ids end up in SQL parameters
 * and NATS headers, so they must be non-empty, bounded and free of control characters (a CR/LF
 * would break a NATS header line).
 */
import { InvalidArgumentError } from '@proof-messenger/errors';
import type {
  QueueMessage,
  QueueMessageKind,
  QueueSettings,
  ReceiveOptions,
} from '../message-queue.ts';

/** Longest id (sender, recipient, message id) a queue accepts, in UTF-16 code units. */
export const MAX_ID_LENGTH = 256;

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it rejects
const CONTROL = /[\u0000-\u001f\u007f]/;

function checkId(value: unknown, field: string): void {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_ID_LENGTH) {
    throw new InvalidArgumentError(
      `${field} must be a string of 1 to ${MAX_ID_LENGTH} characters`,
      {
        field,
      },
    );
  }
  if (CONTROL.test(value)) {
    throw new InvalidArgumentError(`${field} must not contain control characters`, { field });
  }
}

/** Checks a recipient id given to receive / ack / nack / depth / deadLetters. */
export function checkRecipientId(recipientId: unknown): void {
  checkId(recipientId, 'recipientId');
}

/** Checks a delivery id's shape before it is looked up. */
export function checkDeliveryId(deliveryId: unknown): void {
  checkId(deliveryId, 'deliveryId');
}

/**
 * Checks everything an adapter stores of `message`.
 * @throws InvalidArgumentError naming the offending field
 */
export function checkMessage(message: QueueMessage): void {
  checkId(message.messageId, 'message.messageId');
  checkId(message.senderId, 'message.senderId');
  checkId(message.recipientId, 'message.recipientId');
  if (![1, 2, 3, 4].includes(message.priority)) {
    throw new InvalidArgumentError(
      `message.priority must be 1 (LOW) to 4 (CRITICAL), got ${message.priority}`,
      {
        field: 'message.priority',
      },
    );
  }
  if (!Number.isSafeInteger(message.expiresAtMs) || message.expiresAtMs < 0) {
    throw new InvalidArgumentError('message.expiresAtMs must be a non-negative integer', {
      field: 'message.expiresAtMs',
    });
  }
  if (!(message.body instanceof Uint8Array)) {
    throw new InvalidArgumentError('message.body must be a Uint8Array', { field: 'message.body' });
  }
  if (!(QUEUE_MESSAGE_KINDS as readonly string[]).includes(message.kind)) {
    throw new InvalidArgumentError("message.kind must be 'envelope', 'channel' or 'notice'", {
      field: 'message.kind',
    });
  }
}

/** Checks receive options; `max` is capped by the caller's adapter limit. */
export function checkReceiveOptions(options: ReceiveOptions): void {
  if (!Number.isInteger(options.max) || options.max < 1) {
    throw new InvalidArgumentError(`max must be a positive integer, got ${options.max}`, {
      field: 'max',
    });
  }
  if (!Number.isFinite(options.waitMs) || options.waitMs < 0) {
    throw new InvalidArgumentError(`waitMs must be a non-negative number, got ${options.waitMs}`, {
      field: 'waitMs',
    });
  }
}

/** Checks a nack delay. */
export function checkDelay(delayMs: number): void {
  if (!Number.isFinite(delayMs) || delayMs < 0) {
    throw new InvalidArgumentError(`delayMs must be a non-negative number, got ${delayMs}`, {
      field: 'delayMs',
    });
  }
}

/**
 * Checks queue settings once, at construction.
 * @throws RangeError naming the setting (a configuration error, not a request error)
 */
export function checkSettings(settings: QueueSettings): void {
  const { partitions, ackWaitMs, maxDeliveries, backoffMs } = settings;
  if (!Number.isInteger(partitions) || partitions < 1) {
    throw new RangeError(`partitions must be a positive integer, got ${partitions}`);
  }
  if (!Number.isInteger(ackWaitMs) || ackWaitMs < 1) {
    throw new RangeError(`ackWaitMs must be a positive integer, got ${ackWaitMs}`);
  }
  if (!Number.isInteger(maxDeliveries) || maxDeliveries < 1) {
    throw new RangeError(`maxDeliveries must be a positive integer, got ${maxDeliveries}`);
  }
  if (backoffMs.length === 0 || backoffMs.some((ms) => !Number.isInteger(ms) || ms < 0)) {
    throw new RangeError('backoffMs must be a non-empty list of non-negative integers');
  }
}

/**
 * How long after the `deliveryCount`-th delivery the message becomes available again when it is
 * not acked: the lease (`ackWaitMs`) plus `backoffMs[min(n, length) - 1]`.
 */
export function redeliveryAfterMs(settings: QueueSettings, deliveryCount: number): number {
  const { backoffMs } = settings;
  const index = Math.min(Math.max(deliveryCount, 1), backoffMs.length) - 1;
  return settings.ackWaitMs + (backoffMs[index] ?? 0);
}

/** Every kind a queued message can have. */
export const QUEUE_MESSAGE_KINDS: readonly QueueMessageKind[] = ['envelope', 'channel', 'notice'];

/** A stored kind read back (anything unknown was written as a direct envelope). */
export function toKind(stored: string | undefined): QueueMessageKind {
  return stored === 'notice' || stored === 'channel' ? stored : 'envelope';
}
