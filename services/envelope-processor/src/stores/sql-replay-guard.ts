/**
 * The replay guard on SQL (node:sqlite or PostgreSQL): the primary key (sender, message id) makes
 * `remember` atomic across concurrent requests and instances — exactly one insert wins; everyone
 * else reads the winner's digest and learns whether theirs is a retry or a conflict.
 */
import { equalBytes } from '@proof-messenger/crypto';
import type { SqlDatabase } from '@proof-messenger/storage';
import type { ReplayGuard, ReplayVerdict } from '../ports/replay-guard.ts';

interface SeenRow {
  readonly digest: Uint8Array;
  readonly partition_no: number;
  readonly accepted_at_ms: number;
  readonly enqueued: number;
}

export class SqlReplayGuard implements ReplayGuard {
  readonly #db: SqlDatabase;

  /** @param db a database, or a transaction handle (the guard then writes inside it) */
  constructor(db: SqlDatabase) {
    this.#db = db;
  }

  /** The database (or transaction) this guard reads and writes. */
  get database(): SqlDatabase {
    return this.#db;
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
    const inserted = await this.#db.execute(
      `INSERT INTO seen_messages (sender_id, message_id, digest, partition_no, accepted_at_ms, forget_after_ms, enqueued)
       VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (sender_id, message_id) DO NOTHING`,
      [senderId, messageId, digest, partition, nowMs, forgetAfterMs, enqueued ? 1 : 0],
    );
    if (inserted === 1) return { kind: 'new' };
    const [row] = await this.#db.query<SeenRow>(
      'SELECT digest, partition_no, accepted_at_ms, enqueued FROM seen_messages WHERE sender_id = $1 AND message_id = $2',
      [senderId, messageId],
    );
    if (row === undefined) return { kind: 'conflict' }; // pruned between the two statements: refuse to be safe
    return equalBytes(row.digest, digest)
      ? {
          kind: 'retry',
          partition: row.partition_no,
          acceptedAtMs: row.accepted_at_ms,
          enqueued: row.enqueued === 1,
        }
      : { kind: 'conflict' };
  }

  async markEnqueued(senderId: string, messageId: string): Promise<void> {
    await this.#db.execute(
      'UPDATE seen_messages SET enqueued = 1 WHERE sender_id = $1 AND message_id = $2',
      [senderId, messageId],
    );
  }

  prune(nowMs: number): Promise<number> {
    return this.#db.execute('DELETE FROM seen_messages WHERE forget_after_ms <= $1', [nowMs]);
  }
}
