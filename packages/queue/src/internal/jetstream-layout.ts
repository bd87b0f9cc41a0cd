/**
 * Names of everything the JetStream adapter creates, in one place (see docs/queues.md):
 *
 * - stream `<P>Q_<n>` per partition n, subjects `<p>.q.<n>.>`;
 * - one message per subject `<p>.q.<n>.<recipient token>.<priority>.<id token>`, so the subject
 *   doubles as the idempotency key (`Nats-Expected-Last-Subject-Sequence: 0`);
 * - durable consumer `<recipient token>_<priority>` on the partition stream, filter
 *   `<p>.q.<n>.<recipient token>.<priority>.*`;
 * - dead letters in stream `<P>DLQ` on `<p>.dlq.<n>.<recipient token>`.
 *
 * `<P>` (stream prefix, default `PM_`) and `<p>` (subject prefix, default `pm`) let tests and
 * several deployments share one server. Tokens are base32 (lower case) of a SHA-256 prefix:
 * valid in subjects and consumer names whatever the ids contain, fixed length, and 160 bits
 * make collisions between two recipients (or two message ids) negligible.
 */
import { createHash } from 'node:crypto';
import type { QueuePriority } from '../message-queue.ts';

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

function base32(bytes: Uint8Array): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
    buffer &= (1 << bits) - 1;
  }
  if (bits > 0) out += BASE32[(buffer << (5 - bits)) & 31];
  return out;
}

function token(domain: string, ...parts: string[]): string {
  const hash = createHash('sha256').update(domain);
  for (const part of parts) hash.update('\u0000').update(part);
  return base32(hash.digest().subarray(0, 20));
}

/** Priorities served, highest first. */
export const PRIORITIES_HIGH_FIRST: readonly QueuePriority[] = [4, 3, 2, 1];

/** Stream and subject prefixes of one deployment. */
export interface JetStreamNames {
  readonly streamPrefix: string;
  readonly subjectPrefix: string;
}

/** The subject token of a recipient (32 base32 characters). */
export function recipientToken(recipientId: string): string {
  return token('pm/recipient', recipientId);
}

/** The subject token of a (sender, message id) pair. */
export function messageToken(senderId: string, messageId: string): string {
  return token('pm/message', senderId, messageId);
}

/** The stream of partition `n`. */
export function queueStream(names: JetStreamNames, partition: number): string {
  return `${names.streamPrefix}Q_${partition}`;
}

/** All subjects of partition `n` (the stream's subject filter). */
export function partitionSubjects(names: JetStreamNames, partition: number): string {
  return `${names.subjectPrefix}.q.${partition}.>`;
}

/** All subjects of one recipient (for wake-ups and depth). */
export function recipientSubjects(
  names: JetStreamNames,
  partition: number,
  rtoken: string,
): string {
  return `${names.subjectPrefix}.q.${partition}.${rtoken}.>`;
}

/** The prefix every subject of one recipient starts with. */
export function recipientSubjectPrefix(
  names: JetStreamNames,
  partition: number,
  rtoken: string,
): string {
  return `${names.subjectPrefix}.q.${partition}.${rtoken}.`;
}

/** The subject of one message. */
export function messageSubject(
  names: JetStreamNames,
  partition: number,
  rtoken: string,
  priority: QueuePriority,
  mtoken: string,
): string {
  return `${names.subjectPrefix}.q.${partition}.${rtoken}.${priority}.${mtoken}`;
}

/** The filter of a recipient's consumer for one priority. */
export function priorityFilter(
  names: JetStreamNames,
  partition: number,
  rtoken: string,
  priority: QueuePriority,
): string {
  return `${names.subjectPrefix}.q.${partition}.${rtoken}.${priority}.*`;
}

/** The durable consumer of a recipient for one priority. */
export function consumerName(rtoken: string, priority: QueuePriority): string {
  return `${rtoken}_${priority}`;
}

/** The dead-letter stream. */
export function deadLetterStream(names: JetStreamNames): string {
  return `${names.streamPrefix}DLQ`;
}

/** All dead-letter subjects. */
export function deadLetterSubjects(names: JetStreamNames): string {
  return `${names.subjectPrefix}.dlq.>`;
}

/** The dead-letter subject of one recipient. */
export function deadLetterSubject(
  names: JetStreamNames,
  partition: number,
  rtoken: string,
): string {
  return `${names.subjectPrefix}.dlq.${partition}.${rtoken}`;
}
