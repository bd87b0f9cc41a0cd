/**
 * Port: the recipient-partitioned message queue that direct messages, channel fanout and notices
 * all go through. Adapters: embedded (node:sqlite in the data folder) and distributed (NATS
 * JetStream); both must pass `test/contract/message-queue.contract.ts`.
 *
 * Semantics every adapter provides:
 * - **Durable before acknowledged**: `enqueue` resolves only once the message survives a crash of
 *   the process and of the queue server.
 * - **Idempotent by (sender, message id)**: enqueueing the same id again stores nothing new and
 *   answers `duplicate: true` with the original partition — for as long as the message is
 *   retained (the replay guard of the envelope processor covers the longer term).
 * - **Priority**: a receiver gets higher priorities first (CRITICAL > HIGH > NORMAL > LOW), FIFO
 *   within one priority; a CRITICAL message never waits behind NORMAL ones.
 * - **TTL**: a message past `expiresAtMs` is never delivered; it is reported once through
 *   `collectExpired` / the events of `receive` so the sender can be told.
 * - **At-least-once with leases**: a delivery not acknowledged within `ackWaitMs` is delivered
 *   again (with a growing backoff); `nack` makes it available again after its delay; after
 *   `maxDeliveries` deliveries without an ack it is moved to the dead-letter store and reported.
 * - **Isolation**: a recipient only ever receives, acks or nacks its own messages; a delivery id
 *   of another recipient is NOT_FOUND.
 * - **Partitioning**: a message's partition is a stable hash of its recipient
 *   (`partitionOf`), so one recipient's messages stay in one partition (its order holds) and
 *   adding partitions spreads recipients.
 */

/** Delivery priorities, as `proofmessenger.v1.Priority` (UNSPECIFIED is stored as NORMAL). */
export type QueuePriority = 1 | 2 | 3 | 4;

/** What a queued message is (see QueueMessage.kind). */
export type QueueMessageKind = 'envelope' | 'channel' | 'notice';

/** What a queue stores: opaque content plus the metadata the queue acts on. */
export interface QueueMessage {
  /** The sender's message id (a UUID); with `senderId`, the idempotency key. */
  readonly messageId: string;
  readonly senderId: string;
  readonly recipientId: string;
  readonly priority: QueuePriority;
  /** Never delivered at or after this instant (ms since the epoch). */
  readonly expiresAtMs: number;
  /** What is delivered: serialized bytes the queue never interprets (an Envelope or a Notice). */
  readonly body: Uint8Array;
  /**
   * `envelope` for direct messages, `channel` for a subscriber's copy of a channel message (its
   * message id is derived per subscriber; it never produces notices or receipts), `notice` for
   * platform notices (which never produce notices).
   */
  readonly kind: QueueMessageKind;
}

/** The answer to `enqueue`. */
export interface EnqueueResult {
  readonly partition: number;
  /** True when this (sender, message id) was already stored; nothing new was stored. */
  readonly duplicate: boolean;
  readonly enqueuedAtMs: number;
}

/** One message handed to its recipient under a lease. */
export interface QueueDelivery {
  /** Opaque handle for ack / nack; valid for this delivery only. */
  readonly deliveryId: string;
  readonly message: QueueMessage;
  /** 1 on the first delivery. */
  readonly deliveryCount: number;
  readonly enqueuedAtMs: number;
}

/** Something the queue did to a message on its own, which its sender should hear about. */
export interface QueueEvent {
  readonly type: 'expired' | 'dead-lettered';
  readonly message: QueueMessage;
  readonly atMs: number;
  /** For dead-lettering: how many deliveries were made. */
  readonly deliveryCount: number;
}

/** Options of `receive`. */
export interface ReceiveOptions {
  /** Most deliveries to return (≥ 1). */
  readonly max: number;
  /** How long to wait for the first delivery when none is ready; 0 returns at once. */
  readonly waitMs: number;
  /** Stops waiting early (resolves with what is ready, possibly nothing). */
  readonly signal?: AbortSignal;
}

/** Queue behaviour settings shared by the adapters. */
export interface QueueSettings {
  readonly partitions: number;
  /** A delivery not acked within this is redelivered. */
  readonly ackWaitMs: number;
  /** After this many unacknowledged deliveries, the message is dead-lettered. Default 5. */
  readonly maxDeliveries: number;
  /** Redelivery delay after the n-th missed ack: backoffMs[min(n, length) - 1]. */
  readonly backoffMs: readonly number[];
}

/** A count per priority. */
export interface PriorityCounts {
  readonly low: number;
  readonly normal: number;
  readonly high: number;
  readonly critical: number;
}

/**
 * The state of one recipient's queue (for `stats`). Every stored message is either ready or in
 * flight, so `ready` summed plus `inFlight` equals `depth`. Messages past their TTL that the queue
 * has not removed yet are still counted (the adapters find them on receive or in collectExpired).
 */
export interface QueueStats {
  /** Stored messages never delivered yet, by priority. */
  readonly ready: PriorityCounts;
  /** Delivered at least once and not acknowledged: under a lease, or waiting for redelivery. */
  readonly inFlight: number;
  /** Messages in the dead-letter store. */
  readonly deadLettered: number;
}

export const DEFAULT_QUEUE_SETTINGS: QueueSettings = {
  partitions: 16,
  ackWaitMs: 30_000,
  maxDeliveries: 5,
  backoffMs: [1_000, 5_000, 30_000, 120_000],
};

export interface MessageQueue {
  /**
   * Stores `message` durably in its recipient's partition.
   * @throws UnavailableError when the backing store cannot confirm durability (retry with the
   *   same message id: it is idempotent)
   */
  enqueue(message: QueueMessage, nowMs: number): Promise<EnqueueResult>;
  /**
   * Leases up to `max` ready deliveries of `recipientId`, highest priority first. Expired messages
   * met on the way are removed and returned as events instead; so are messages that reached
   * `maxDeliveries`.
   */
  receive(
    recipientId: string,
    options: ReceiveOptions,
    nowMs: number,
  ): Promise<{ deliveries: QueueDelivery[]; events: QueueEvent[] }>;
  /**
   * Acknowledges a delivery: the message is removed for good and returned.
   * @throws NotFoundError when the delivery id is unknown, already acked, superseded by a
   *   redelivery, or belongs to another recipient
   */
  ack(recipientId: string, deliveryId: string, nowMs: number): Promise<QueueMessage>;
  /**
   * Returns a delivery to the queue, ready again after `delayMs`.
   * @throws NotFoundError as for ack
   */
  nack(recipientId: string, deliveryId: string, delayMs: number, nowMs: number): Promise<void>;
  /**
   * Removes messages of any recipient that expired or exhausted their deliveries while nobody was
   * receiving, at most `limit`, and returns them as events (each reported once).
   */
  collectExpired(nowMs: number, limit: number): Promise<QueueEvent[]>;
  /** Messages waiting (not yet acked) for a recipient, for queue-state displays. */
  depth(recipientId: string): Promise<number>;
  /** Messages in the dead-letter store for a recipient. */
  deadLetters(recipientId: string, limit: number): Promise<QueueMessage[]>;
  /** Counts of a recipient's queue: ready by priority, in flight, dead-lettered. */
  stats(recipientId: string): Promise<QueueStats>;
  close(): Promise<void>;
}
