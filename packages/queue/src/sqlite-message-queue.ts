/**
 * The embedded MessageQueue: node:sqlite in the data folder (see `queue-migrations.ts` for the
 * tables). Durable because every write is a transaction on a database opened by
 * `openSqliteDatabase` (WAL, synced before anyone is answered): `enqueue` resolves after the
 * commit is on disk.
 *
 * - receive: in one transaction, removes the recipient's expired and exhausted messages (as
 *   events), then leases the ready rows `ORDER BY priority DESC, seq` — each gets a fresh random
 *   delivery id, `lease_expires_at = now + ackWait` and `available_at = now + ackWait + backoff`.
 * - waiting: a receive with `waitMs` sleeps on an in-process wake-up keyed by recipient (enqueue
 *   fires it), with a poll fallback (default 250 ms) for redeliveries and other processes. Time
 *   moves on while it waits: `now` is the caller's `nowMs` plus the elapsed monotonic time.
 * - ack / nack: match (recipient, delivery id, lease still running) in one statement, so another
 *   recipient's id, an expired lease and a superseded delivery are all NOT_FOUND.
 *
 * Caveat: one process per database file (see `openSqliteDatabase`); the wake-ups are in-process,
 * other processes' enqueues are seen at the next poll. `close` does not close the database.
 */
import { randomBytes } from 'node:crypto';
import { UnavailableError } from '@proof-messenger/errors';
import { migrate, type SqlDatabase } from '@proof-messenger/storage';
import { deliveryNotFound } from './internal/delivery-not-found.ts';
import { priorityName, zeroCounts } from './internal/priority-counts.ts';
import {
  checkDelay,
  checkDeliveryId,
  checkMessage,
  checkReceiveOptions,
  checkRecipientId,
  checkSettings,
  redeliveryAfterMs,
  toKind,
} from './internal/queue-checks.ts';
import { RecipientWaker } from './internal/recipient-waker.ts';
import {
  DEFAULT_QUEUE_SETTINGS,
  type EnqueueResult,
  type MessageQueue,
  type QueueDelivery,
  type QueueEvent,
  type QueueMessage,
  type QueuePriority,
  type QueueSettings,
  type QueueStats,
  type ReceiveOptions,
} from './message-queue.ts';
import { partitionOf } from './partition-of.ts';
import { QUEUE_MIGRATIONS } from './queue-migrations.ts';

/** Options of `SqliteMessageQueue.open`. */
export interface SqliteMessageQueueOptions {
  readonly settings?: QueueSettings;
  /** How often a waiting receive looks again without a wake-up, in ms (default 250). */
  readonly pollIntervalMs?: number;
}

/** Most deliveries one receive leases, and most events one sweep reports. */
const MAX_BATCH = 1000;

interface MessageRow {
  seq: number;
  recipient_id: string;
  priority: number;
  sender_id: string;
  message_id: string;
  kind: string;
  body: Uint8Array;
  expires_at_ms: number;
  enqueued_at_ms: number;
  delivery_count: number;
}

const COLUMNS =
  'seq, recipient_id, priority, sender_id, message_id, kind, body, expires_at_ms, enqueued_at_ms, delivery_count';

function toMessage(row: MessageRow): QueueMessage {
  return {
    messageId: row.message_id,
    senderId: row.sender_id,
    recipientId: row.recipient_id,
    priority: Math.min(4, Math.max(1, row.priority)) as QueuePriority,
    expiresAtMs: row.expires_at_ms,
    body: row.body,
    kind: toKind(row.kind),
  };
}

function bySeq(a: MessageRow, b: MessageRow): number {
  return a.seq - b.seq;
}

/** The embedded adapter of the MessageQueue port over node:sqlite. */
export class SqliteMessageQueue implements MessageQueue {
  readonly #db: SqlDatabase;
  readonly #settings: QueueSettings;
  readonly #pollIntervalMs: number;
  readonly #waker = new RecipientWaker();
  #closed = false;

  private constructor(db: SqlDatabase, settings: QueueSettings, pollIntervalMs: number) {
    this.#db = db;
    this.#settings = settings;
    this.#pollIntervalMs = pollIntervalMs;
  }

  /**
   * Applies the queue's migrations to `db` (a database from `openSqliteDatabase`) and returns a
   * queue over it.
   * @throws RangeError for invalid settings or a database that is not SQLite
   */
  static async open(
    db: SqlDatabase,
    options: SqliteMessageQueueOptions = {},
  ): Promise<SqliteMessageQueue> {
    const settings = options.settings ?? DEFAULT_QUEUE_SETTINGS;
    checkSettings(settings);
    if (db.dialect !== 'sqlite') {
      throw new RangeError(`SqliteMessageQueue needs a SQLite database, got ${db.dialect}`);
    }
    const pollIntervalMs = options.pollIntervalMs ?? 250;
    if (!Number.isFinite(pollIntervalMs) || pollIntervalMs <= 0) {
      throw new RangeError(`pollIntervalMs must be a positive number, got ${pollIntervalMs}`);
    }
    await migrate(db, QUEUE_MIGRATIONS);
    return new SqliteMessageQueue(db, settings, pollIntervalMs);
  }

  #checkOpen(): void {
    if (this.#closed) throw new UnavailableError('the message queue is closed');
  }

  /** The database this queue stores into (what `enqueueWithin` transactions must be on). */
  get database(): SqlDatabase {
    return this.#db;
  }

  async enqueue(message: QueueMessage, nowMs: number): Promise<EnqueueResult> {
    this.#checkOpen();
    checkMessage(message);
    const result = await this.#db.transaction((tx) => this.#insert(tx, message, nowMs));
    if (!result.duplicate) this.#waker.wake(message.recipientId);
    return result;
  }

  /**
   * `enqueue` as part of the caller's transaction `tx`, which must be a transaction on `database`
   * (so other writes commit atomically with the message, in one fsync). The message is stored
   * only when the caller's transaction commits; answer nobody before that.
   */
  async enqueueWithin(
    tx: SqlDatabase,
    message: QueueMessage,
    nowMs: number,
  ): Promise<EnqueueResult> {
    this.#checkOpen();
    checkMessage(message);
    // No savepoint of its own: #insert writes with one statement, which is atomic by itself.
    const result = await this.#insert(tx, message, nowMs);
    // A receiver woken now reads in a later transaction than the caller's, so it sees the
    // message once that committed (and nothing if it rolled back: it just waits again).
    if (!result.duplicate) this.#waker.wake(message.recipientId);
    return result;
  }

  async #insert(tx: SqlDatabase, message: QueueMessage, nowMs: number): Promise<EnqueueResult> {
    const partition = partitionOf(message.recipientId, this.#settings.partitions);
    const inserted = await tx.query<{ seq: number }>(
      `INSERT INTO queue_messages (partition, recipient_id, priority, sender_id, message_id, kind,
         body, expires_at_ms, enqueued_at_ms, available_at_ms)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)
       ON CONFLICT (sender_id, message_id) DO NOTHING RETURNING seq`,
      [
        partition,
        message.recipientId,
        message.priority,
        message.senderId,
        message.messageId,
        message.kind,
        message.body,
        message.expiresAtMs,
        nowMs,
      ],
    );
    if (inserted.length > 0) return { partition, duplicate: false, enqueuedAtMs: nowMs };
    const [original] = await tx.query<{ partition: number; enqueued_at_ms: number }>(
      'SELECT partition, enqueued_at_ms FROM queue_messages WHERE sender_id = $1 AND message_id = $2',
      [message.senderId, message.messageId],
    );
    if (original === undefined) throw new Error('a conflicting row vanished inside a transaction');
    return {
      partition: original.partition,
      duplicate: true,
      enqueuedAtMs: original.enqueued_at_ms,
    };
  }

  async receive(
    recipientId: string,
    options: ReceiveOptions,
    nowMs: number,
  ): Promise<{ deliveries: QueueDelivery[]; events: QueueEvent[] }> {
    this.#checkOpen();
    checkRecipientId(recipientId);
    checkReceiveOptions(options);
    const started = performance.now();
    const elapsed = () => Math.floor(performance.now() - started);
    for (;;) {
      const batch = await this.#receiveOnce(recipientId, options.max, nowMs + elapsed());
      if (batch.deliveries.length > 0 || batch.events.length > 0) return batch;
      const left = options.waitMs - elapsed();
      if (left <= 0 || this.#closed || options.signal?.aborted) return batch;
      await this.#waker.wait(recipientId, Math.min(left, this.#pollIntervalMs), options.signal);
      if (this.#closed) return batch;
    }
  }

  #receiveOnce(
    recipientId: string,
    max: number,
    now: number,
  ): Promise<{ deliveries: QueueDelivery[]; events: QueueEvent[] }> {
    return this.#db.transaction(async (tx) => {
      const events = await this.#sweep(tx, now, MAX_BATCH, recipientId);
      const rows = await tx.query<MessageRow>(
        `SELECT ${COLUMNS} FROM queue_messages
         WHERE recipient_id = $1 AND available_at_ms <= $2
         ORDER BY priority DESC, seq LIMIT $3`,
        [recipientId, now, Math.min(max, MAX_BATCH)],
      );
      const deliveries: QueueDelivery[] = [];
      for (const row of rows) {
        const deliveryCount = row.delivery_count + 1;
        const deliveryId = randomBytes(18).toString('base64url');
        await tx.execute(
          `UPDATE queue_messages SET delivery_count = $1, lease_token = $2,
             lease_expires_at_ms = $3, available_at_ms = $4 WHERE seq = $5`,
          [
            deliveryCount,
            deliveryId,
            now + this.#settings.ackWaitMs,
            now + redeliveryAfterMs(this.#settings, deliveryCount),
            row.seq,
          ],
        );
        deliveries.push({
          deliveryId,
          message: toMessage(row),
          deliveryCount,
          enqueuedAtMs: row.enqueued_at_ms,
        });
      }
      return { deliveries, events };
    });
  }

  /**
   * Removes expired and exhausted messages that are not under a lease (of one recipient, or of
   * all), records them and returns them as events, oldest first. Runs inside `tx`.
   */
  async #sweep(
    tx: SqlDatabase,
    now: number,
    limit: number,
    recipientId?: string,
  ): Promise<QueueEvent[]> {
    // $1 now, $2 limit, $3 max deliveries, $4 the recipient when scoped to one. Both statements
    // bind the same list, so the expiry one names $3 in a no-op condition (SQLite needs every
    // bound index to appear).
    const scope = recipientId === undefined ? '' : 'AND recipient_id = $4';
    const params = [
      now,
      limit,
      this.#settings.maxDeliveries,
      ...(recipientId === undefined ? [] : [recipientId]),
    ];
    const expired = await tx.query<MessageRow>(
      `DELETE FROM queue_messages WHERE seq IN (
         SELECT seq FROM queue_messages
         WHERE expires_at_ms <= $1 AND available_at_ms <= $1 AND $3 > 0 ${scope}
         ORDER BY expires_at_ms LIMIT $2)
       RETURNING ${COLUMNS}`,
      params,
    );
    const events: QueueEvent[] = [];
    for (const row of expired.sort(bySeq)) {
      await this.#record(tx, row, 'expired', now);
      events.push({
        type: 'expired',
        message: toMessage(row),
        atMs: now,
        deliveryCount: row.delivery_count,
      });
    }
    if (events.length >= limit) return events;
    params[1] = limit - events.length;
    const exhausted = await tx.query<MessageRow>(
      `DELETE FROM queue_messages WHERE seq IN (
         SELECT seq FROM queue_messages
         WHERE delivery_count >= $3 AND available_at_ms <= $1 ${scope}
         ORDER BY available_at_ms LIMIT $2)
       RETURNING ${COLUMNS}`,
      params,
    );
    for (const row of exhausted.sort(bySeq)) {
      await tx.execute(
        `INSERT INTO queue_dead_letters (recipient_id, priority, sender_id, message_id, kind, body,
           expires_at_ms, enqueued_at_ms, delivery_count, dead_at_ms)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
        [
          row.recipient_id,
          row.priority,
          row.sender_id,
          row.message_id,
          row.kind,
          row.body,
          row.expires_at_ms,
          row.enqueued_at_ms,
          row.delivery_count,
          now,
        ],
      );
      await this.#record(tx, row, 'dead-lettered', now);
      events.push({
        type: 'dead-lettered',
        message: toMessage(row),
        atMs: now,
        deliveryCount: row.delivery_count,
      });
    }
    return events;
  }

  async #record(
    tx: SqlDatabase,
    row: MessageRow,
    type: QueueEvent['type'],
    now: number,
  ): Promise<void> {
    await tx.execute(
      `INSERT INTO queue_events (sender_id, message_id, type, recipient_id, at_ms, delivery_count)
       VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`,
      [row.sender_id, row.message_id, type, row.recipient_id, now, row.delivery_count],
    );
  }

  async ack(recipientId: string, deliveryId: string, nowMs: number): Promise<QueueMessage> {
    this.#checkOpen();
    checkRecipientId(recipientId);
    checkDeliveryId(deliveryId);
    const [row] = await this.#db.transaction((tx) =>
      tx.query<MessageRow>(
        `DELETE FROM queue_messages
         WHERE lease_token = $1 AND recipient_id = $2 AND lease_expires_at_ms > $3
         RETURNING ${COLUMNS}`,
        [deliveryId, recipientId, nowMs],
      ),
    );
    if (row === undefined) throw deliveryNotFound(recipientId, deliveryId);
    return toMessage(row);
  }

  async nack(
    recipientId: string,
    deliveryId: string,
    delayMs: number,
    nowMs: number,
  ): Promise<void> {
    this.#checkOpen();
    checkRecipientId(recipientId);
    checkDeliveryId(deliveryId);
    checkDelay(delayMs);
    const changed = await this.#db.transaction((tx) =>
      tx.execute(
        `UPDATE queue_messages
         SET lease_token = NULL, lease_expires_at_ms = NULL, available_at_ms = $4
         WHERE lease_token = $1 AND recipient_id = $2 AND lease_expires_at_ms > $3`,
        [deliveryId, recipientId, nowMs, nowMs + Math.ceil(delayMs)],
      ),
    );
    if (changed === 0) throw deliveryNotFound(recipientId, deliveryId);
    if (delayMs === 0) this.#waker.wake(recipientId);
  }

  async collectExpired(nowMs: number, limit: number): Promise<QueueEvent[]> {
    this.#checkOpen();
    if (!Number.isInteger(limit) || limit < 1)
      throw new RangeError(`limit must be a positive integer, got ${limit}`);
    return this.#db.transaction((tx) => this.#sweep(tx, nowMs, Math.min(limit, MAX_BATCH)));
  }

  async depth(recipientId: string): Promise<number> {
    this.#checkOpen();
    checkRecipientId(recipientId);
    const [row] = await this.#db.query<{ n: number }>(
      'SELECT COUNT(*) AS n FROM queue_messages WHERE recipient_id = $1',
      [recipientId],
    );
    return row?.n ?? 0;
  }

  async deadLetters(recipientId: string, limit: number): Promise<QueueMessage[]> {
    this.#checkOpen();
    checkRecipientId(recipientId);
    const rows = await this.#db.query<MessageRow>(
      `SELECT ${COLUMNS} FROM queue_dead_letters WHERE recipient_id = $1 ORDER BY seq LIMIT $2`,
      [recipientId, Math.max(0, Math.floor(limit))],
    );
    return rows.map(toMessage);
  }

  async stats(recipientId: string): Promise<QueueStats> {
    this.#checkOpen();
    checkRecipientId(recipientId);
    const rows = await this.#db.query<{ priority: number; delivered: number; n: number }>(
      `SELECT priority, delivery_count > 0 AS delivered, COUNT(*) AS n FROM queue_messages
       WHERE recipient_id = $1 GROUP BY priority, delivered`,
      [recipientId],
    );
    const [dead] = await this.#db.query<{ n: number }>(
      'SELECT COUNT(*) AS n FROM queue_dead_letters WHERE recipient_id = $1',
      [recipientId],
    );
    const ready = zeroCounts();
    let inFlight = 0;
    for (const row of rows) {
      if (Number(row.delivered) === 0) ready[priorityName(row.priority)] += Number(row.n);
      else inFlight += Number(row.n);
    }
    return { ready, inFlight, deadLettered: Number(dead?.n ?? 0) };
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#waker.wakeAll();
  }
}
