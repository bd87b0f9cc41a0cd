/**
 * Publications and fanout progress on SQL (node:sqlite or PostgreSQL). The primary key (sender,
 * message id) makes `accept` atomic across instances: one insert wins, the others learn whether
 * theirs is a retry (same digest) or a replay. Claims are leases: an instance that crashes mid-
 * fanout stops renewing, and another (or the same, restarted) picks the publication up from its
 * cursor once the lease has run out.
 */
import { equalBytes } from '@proof-messenger/crypto';
import type { SqlDatabase } from '@proof-messenger/storage';
import type {
  PendingFanout,
  PublicationRecord,
  PublicationStore,
  PublicationVerdict,
} from '../ports/publication-store.ts';

interface PendingRow {
  readonly sender_id: string;
  readonly message_id: string;
  readonly channel_id: string;
  readonly digest: Uint8Array;
  readonly epoch: number;
  readonly envelope: Uint8Array;
  readonly priority: number;
  readonly expires_at_ms: number;
  readonly accepted_at_ms: number;
  readonly subscriber_count: number;
  readonly key_ids: string;
  readonly cursor: string;
}

function toPending(row: PendingRow): PendingFanout {
  return {
    senderId: row.sender_id,
    messageId: row.message_id,
    channelId: row.channel_id,
    digest: row.digest,
    epoch: Number(row.epoch),
    envelope: row.envelope,
    priority: Number(row.priority),
    expiresAtMs: Number(row.expires_at_ms),
    acceptedAtMs: Number(row.accepted_at_ms),
    subscriberCount: Number(row.subscriber_count),
    keyIds: JSON.parse(row.key_ids) as string[],
    cursor: row.cursor,
  };
}

export class SqlPublicationStore implements PublicationStore {
  readonly #db: SqlDatabase;

  constructor(db: SqlDatabase) {
    this.#db = db;
  }

  async accept(p: PublicationRecord): Promise<PublicationVerdict> {
    const inserted = await this.#db.execute(
      `INSERT INTO channel_publications (sender_id, message_id, channel_id, digest, epoch, envelope,
         priority, expires_at_ms, accepted_at_ms, subscriber_count, key_ids, cursor, done, claimed_until_ms)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, '', 0, 0)
       ON CONFLICT (sender_id, message_id) DO NOTHING`,
      [
        p.senderId,
        p.messageId,
        p.channelId,
        p.digest,
        p.epoch,
        p.envelope,
        p.priority,
        p.expiresAtMs,
        p.acceptedAtMs,
        p.subscriberCount,
        JSON.stringify(p.keyIds),
      ],
    );
    if (inserted === 1) return { kind: 'new' };
    const [row] = await this.#db.query<{ digest: Uint8Array; subscriber_count: number }>(
      'SELECT digest, subscriber_count FROM channel_publications WHERE sender_id = $1 AND message_id = $2',
      [p.senderId, p.messageId],
    );
    if (row === undefined) return { kind: 'conflict' }; // pruned in between: refuse to be safe
    return equalBytes(row.digest, p.digest)
      ? { kind: 'retry', subscriberCount: Number(row.subscriber_count) }
      : { kind: 'conflict' };
  }

  async claim(nowMs: number, leaseMs: number, limit: number): Promise<PendingFanout[]> {
    const lock = this.#db.dialect === 'postgres' ? ' FOR UPDATE SKIP LOCKED' : '';
    const rows = await this.#db.query<PendingRow>(
      `UPDATE channel_publications SET claimed_until_ms = $2
         WHERE (sender_id, message_id) IN (
           SELECT sender_id, message_id FROM channel_publications
             WHERE done = 0 AND claimed_until_ms < $1
             ORDER BY accepted_at_ms LIMIT $3${lock})
         RETURNING sender_id, message_id, channel_id, digest, epoch, envelope, priority,
           expires_at_ms, accepted_at_ms, subscriber_count, key_ids, cursor`,
      [nowMs, nowMs + leaseMs, limit],
    );
    return rows.map(toPending);
  }

  async advance(
    senderId: string,
    messageId: string,
    cursor: string,
    leaseUntilMs: number,
  ): Promise<void> {
    await this.#db.execute(
      `UPDATE channel_publications SET cursor = $3, claimed_until_ms = $4
         WHERE sender_id = $1 AND message_id = $2`,
      [senderId, messageId, cursor, leaseUntilMs],
    );
  }

  async complete(senderId: string, messageId: string): Promise<void> {
    await this.#db.execute(
      'UPDATE channel_publications SET done = 1 WHERE sender_id = $1 AND message_id = $2',
      [senderId, messageId],
    );
  }

  prune(nowMs: number): Promise<number> {
    return this.#db.execute(
      'DELETE FROM channel_publications WHERE done = 1 AND expires_at_ms < $1',
      [nowMs],
    );
  }
}
