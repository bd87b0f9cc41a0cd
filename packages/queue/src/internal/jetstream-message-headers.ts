/**
 * How a QueueMessage travels in JetStream: the body as the payload, the metadata in `Pm-*`
 * headers (ids were checked free of control characters, so they are safe header values). The
 * expiry is a header because nats-server 2.9 has no per-message TTL: the adapter enforces it.
 */
import { headers, type MsgHdrs } from '@nats-io/transport-node';
import type { QueueMessage, QueuePriority } from '../message-queue.ts';
import { toKind } from './queue-checks.ts';

const H = {
  sender: 'Pm-Sender',
  messageId: 'Pm-Message-Id',
  recipient: 'Pm-Recipient',
  priority: 'Pm-Priority',
  expiresAt: 'Pm-Expires-At',
  kind: 'Pm-Kind',
  enqueuedAt: 'Pm-Enqueued-At',
  deliveryCount: 'Pm-Delivery-Count',
} as const;

/** Headers for `message` enqueued at `enqueuedAtMs`. */
export function messageHeaders(message: QueueMessage, enqueuedAtMs: number): MsgHdrs {
  const h = headers();
  h.set(H.sender, message.senderId);
  h.set(H.messageId, message.messageId);
  h.set(H.recipient, message.recipientId);
  h.set(H.priority, String(message.priority));
  h.set(H.expiresAt, String(message.expiresAtMs));
  h.set(H.kind, message.kind);
  h.set(H.enqueuedAt, String(enqueuedAtMs));
  return h;
}

/** Dead-letter headers: the message's own plus how many deliveries were made. */
export function deadLetterHeaders(
  message: QueueMessage,
  enqueuedAtMs: number,
  deliveryCount: number,
): MsgHdrs {
  const h = messageHeaders(message, enqueuedAtMs);
  h.set(H.deliveryCount, String(deliveryCount));
  return h;
}

/** A stored message as read back, with its enqueue time. */
export interface DecodedMessage {
  readonly message: QueueMessage;
  readonly enqueuedAtMs: number;
}

function int(h: MsgHdrs, name: string): number {
  const value = Number(h.get(name));
  return Number.isSafeInteger(value) ? value : 0;
}

/** The expiry instant in `h` (0 when missing: treated as expired, such a message is foreign). */
export function expiresAtOf(h: MsgHdrs | undefined): number {
  return h === undefined ? 0 : int(h, H.expiresAt);
}

/** Reads a message back; undefined when the headers are not the adapter's. */
export function decodeMessage(
  h: MsgHdrs | undefined,
  body: Uint8Array,
): DecodedMessage | undefined {
  if (h === undefined) return undefined;
  const priority = int(h, H.priority);
  const messageId = h.get(H.messageId);
  const senderId = h.get(H.sender);
  const recipientId = h.get(H.recipient);
  if (priority < 1 || priority > 4 || messageId === '' || senderId === '' || recipientId === '') {
    return undefined;
  }
  return {
    message: {
      messageId,
      senderId,
      recipientId,
      priority: priority as QueuePriority,
      expiresAtMs: int(h, H.expiresAt),
      // A copy: the client's message may view a larger shared read buffer.
      body: Uint8Array.from(body),
      kind: toKind(h.get(H.kind)),
    },
    enqueuedAtMs: int(h, H.enqueuedAt),
  };
}
