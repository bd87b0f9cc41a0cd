/**
 * The replay guard of the distributed mode: SqlReplayGuard's table and answers, with concurrent
 * `remember` and `markEnqueued` calls written as one statement per batch (WriteCoalescer).
 * bench:ep in distributed mode spent most of the event loop's time per envelope on two
 * PostgreSQL round trips for these two writes.
 *
 * `remember` batches are one multi-row INSERT … ON CONFLICT DO NOTHING RETURNING: a returned row
 * was inserted by this statement, so its caller's verdict is `new`. Every other item — one whose
 * id is already taken, or the second of two items of one batch with the same id — is answered by
 * the single-row path, which reads the record that won and tells a retry (same digest) from a
 * conflict. That path is rare (retries and replays) and exactly SqlReplayGuard's.
 */
import { type SqlDatabase, valuesList } from '@proof-messenger/storage';
import type { ReplayGuard, ReplayVerdict } from '../ports/replay-guard.ts';
import type { ReplayRecord } from './message-admission.ts';
import { SqlReplayGuard } from './sql-replay-guard.ts';
import { WriteCoalescer } from './write-coalescer.ts';

/** Rows per statement: 7 parameters each, far below PostgreSQL's 65,535 per statement. */
const MAX_BATCH = 256;
/** Statements of each kind at once (the pool has more connections; the rest wait and coalesce). */
const MAX_IN_FLIGHT = 2;

interface RememberItem extends ReplayRecord {
  readonly enqueued: boolean;
}

interface Key {
  readonly senderId: string;
  readonly messageId: string;
}

// JSON of the pair: unambiguous whatever characters the ids hold.
const keyOf = ({ senderId, messageId }: Key) => JSON.stringify([senderId, messageId]);

export class BatchedReplayGuard implements ReplayGuard {
  readonly #db: SqlDatabase;
  readonly #single: SqlReplayGuard;
  readonly #remembered: WriteCoalescer<RememberItem, boolean>;
  readonly #marked: WriteCoalescer<Key, undefined>;

  constructor(db: SqlDatabase) {
    this.#db = db;
    this.#single = new SqlReplayGuard(db);
    const limits = { maxBatch: MAX_BATCH, maxInFlight: MAX_IN_FLIGHT };
    this.#remembered = new WriteCoalescer((items) => this.#insert(items), limits);
    this.#marked = new WriteCoalescer((items) => this.#mark(items), limits);
  }

  async remember(
    senderId: string,
    messageId: string,
    digest: Uint8Array,
    partition: number,
    nowMs: number,
    forgetAfterMs: number,
    enqueued = false,
  ): Promise<ReplayVerdict> {
    const item = { senderId, messageId, digest, partition, nowMs, forgetAfterMs, enqueued };
    if (await this.#remembered.submit(item)) return { kind: 'new' };
    return this.#single.remember(
      senderId,
      messageId,
      digest,
      partition,
      nowMs,
      forgetAfterMs,
      enqueued,
    );
  }

  async markEnqueued(senderId: string, messageId: string): Promise<void> {
    await this.#marked.submit({ senderId, messageId });
  }

  prune(nowMs: number): Promise<number> {
    return this.#single.prune(nowMs);
  }

  /** Inserts the first item of each id; true for the items whose row this statement inserted. */
  async #insert(items: readonly RememberItem[]): Promise<boolean[]> {
    const keys = items.map(keyOf);
    const first = new Map<string, RememberItem>();
    items.forEach((item, i) => {
      const key = keys[i] as string;
      if (!first.has(key)) first.set(key, item);
    });
    const rows = [...first.values()];
    const params = rows.flatMap((r) => [
      r.senderId,
      r.messageId,
      r.digest,
      r.partition,
      r.nowMs,
      r.forgetAfterMs,
      r.enqueued ? 1 : 0,
    ]);
    const inserted = await this.#db.query<{ sender_id: string; message_id: string }>(
      `INSERT INTO seen_messages (sender_id, message_id, digest, partition_no, accepted_at_ms, forget_after_ms, enqueued)
       VALUES ${valuesList(rows.length, 7)}
       ON CONFLICT (sender_id, message_id) DO NOTHING RETURNING sender_id, message_id`,
      params,
    );
    const won = new Set(
      inserted.map((row) => keyOf({ senderId: row.sender_id, messageId: row.message_id })),
    );
    return items.map((item, i) => {
      const key = keys[i] as string;
      return won.has(key) && first.get(key) === item;
    });
  }

  async #mark(items: readonly Key[]): Promise<undefined[]> {
    await this.#db.execute(
      `UPDATE seen_messages SET enqueued = 1
       WHERE (sender_id, message_id) IN (VALUES ${valuesList(items.length, 2)})`,
      items.flatMap((item) => [item.senderId, item.messageId]),
    );
    return items.map(() => undefined);
  }
}
