/**
 * Delivery ids of the JetStream adapter: the JetStream ack reply subject of the delivery plus the
 * instant it was handed out, base64url-encoded. Any service instance can act on it (ack and nack
 * go to the server's ack subject, not to the instance that received), but it arrives from a
 * client, so nothing in it is trusted: `parseDeliveryId` accepts only the exact ack subject
 * grammar (`$JS.ACK.<stream>.<consumer>.<delivered>.<stream seq>.<consumer seq>.<ts>.<pending>`,
 * and the 12-token form of newer servers), and the adapter then checks that stream and consumer
 * are the recipient's own and that the stored message at that sequence is on the recipient's
 * subject. The issue time bounds the lease; forging it only lets a recipient act on its own
 * messages longer, never on another's.
 */

/** What a delivery id says, after parsing. */
export interface ParsedDeliveryId {
  readonly issuedAtMs: number;
  readonly ackSubject: string;
  readonly stream: string;
  readonly consumer: string;
  readonly deliveryCount: number;
  readonly streamSeq: number;
}

const NAME = /^[A-Za-z0-9_-]{1,128}$/;
const NUMBER = /^[0-9]{1,20}$/;

/** Parses a `$JS.ACK` reply subject; undefined when it is not one. */
export function parseAckSubject(
  subject: string,
): Omit<ParsedDeliveryId, 'issuedAtMs' | 'ackSubject'> | undefined {
  const tokens = subject.split('.');
  if (tokens[0] !== '$JS' || tokens[1] !== 'ACK') return undefined;
  // v1: $JS.ACK.<stream>.<consumer>.<dc>.<sseq>.<dseq>.<ts>.<pending>
  // v2: $JS.ACK.<domain>.<account hash>.<stream>.<consumer>.<dc>.<sseq>.<dseq>.<ts>.<pending>.<token>
  const offset = tokens.length === 9 ? 2 : tokens.length === 12 ? 4 : -1;
  if (offset < 0) return undefined;
  const [stream, consumer, dc, sseq, dseq, ts, pending] = tokens.slice(offset, offset + 7);
  if (
    stream === undefined ||
    consumer === undefined ||
    !NAME.test(stream) ||
    !NAME.test(consumer)
  ) {
    return undefined;
  }
  for (const n of [dc, sseq, dseq, ts, pending])
    if (n === undefined || !NUMBER.test(n)) return undefined;
  if (offset === 4 && !tokens.slice(2, 4).every((t) => NAME.test(t))) return undefined;
  const deliveryCount = Number(dc);
  const streamSeq = Number(sseq);
  if (!Number.isSafeInteger(deliveryCount) || !Number.isSafeInteger(streamSeq) || streamSeq < 1) {
    return undefined;
  }
  return { stream, consumer, deliveryCount, streamSeq };
}

/** The delivery id for a message received with `ackSubject` at `issuedAtMs`. */
export function formatDeliveryId(issuedAtMs: number, ackSubject: string): string {
  return Buffer.from(`${issuedAtMs} ${ackSubject}`, 'utf8').toString('base64url');
}

/** Parses a client-supplied delivery id; undefined for anything malformed. */
export function parseDeliveryId(deliveryId: string): ParsedDeliveryId | undefined {
  if (deliveryId.length > 512 || !/^[A-Za-z0-9_-]+$/.test(deliveryId)) return undefined;
  const text = Buffer.from(deliveryId, 'base64url').toString('utf8');
  const space = text.indexOf(' ');
  if (space < 1) return undefined;
  const issued = text.slice(0, space);
  const ackSubject = text.slice(space + 1);
  if (!NUMBER.test(issued)) return undefined;
  const parsed = parseAckSubject(ackSubject);
  if (parsed === undefined) return undefined;
  return { issuedAtMs: Number(issued), ackSubject, ...parsed };
}
