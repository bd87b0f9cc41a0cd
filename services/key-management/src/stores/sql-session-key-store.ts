/**
 * SessionKeyStore on SqlDatabase.
 *
 * `rotate` is one transaction that first upserts the `sessions` row, which locks it (PostgreSQL)
 * for the rest of the transaction: concurrent rotations of one session run one after another,
 * and each sees the key installed by the one before (READ COMMITTED takes a fresh snapshot per
 * statement), so the previous key always moves into its grace period instead of two keys both
 * ending up current. The partial unique index `session_keys_one_current` backs this up.
 *
 * `claimDueRotations` selects due sessions `FOR UPDATE OF s SKIP LOCKED` on PostgreSQL, so
 * scheduler instances running at the same moment claim disjoint sessions, and in the same
 * transaction records a notice and pushes `next_rotation_at_ms` to `nowMs + retryMs`: once the
 * transaction commits, the session is no longer due for anyone until then. On SQLite the
 * transaction holds the database's write lock, which gives the same exclusivity. Sessions with no
 * next rotation time (on demand) are never due.
 */
import { randomUUID } from 'node:crypto';
import { AlreadyExistsError } from '@proof-messenger/errors';
import { isUniqueViolation, type SqlDatabase, valuesList } from '@proof-messenger/storage';
import type {
  DueRotation,
  RotateSessionInput,
  RotationNotice,
  ScheduleNumber,
  SessionKeyRecord,
  SessionKeyStore,
} from '../ports/session-key-store.ts';
import { claimRows } from './internal/sql-fragments.ts';

interface SessionKeyRow {
  owner_id: string;
  peer_id: string;
  key_id: string;
  statement: Uint8Array;
  schedule: ScheduleNumber;
  created_at_ms: number;
  grace_ends_at_ms: number | null;
}

interface DueRow {
  owner_id: string;
  peer_id: string;
  key_id: string;
  schedule: ScheduleNumber;
  next_rotation_at_ms: number;
}

interface NoticeRow {
  notice_id: string;
  owner_id: string;
  peer_id: string;
  key_id: string;
  due_at_ms: number;
  created_at_ms: number;
}

function toRecord(row: SessionKeyRow): SessionKeyRecord {
  return {
    ownerId: row.owner_id,
    peerId: row.peer_id,
    keyId: row.key_id,
    statement: row.statement,
    schedule: row.schedule,
    createdAtMs: row.created_at_ms,
    current: row.grace_ends_at_ms === null,
    graceEndsAtMs: row.grace_ends_at_ms,
  };
}

function toNotice(row: NoticeRow): RotationNotice {
  return {
    noticeId: row.notice_id,
    ownerId: row.owner_id,
    peerId: row.peer_id,
    keyId: row.key_id,
    dueAtMs: row.due_at_ms,
    createdAtMs: row.created_at_ms,
  };
}

function checkCount(name: string, value: number, min: number): void {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new RangeError(`${name} must be an integer of at least ${min}, got ${value}`);
  }
}

/** See the module comment. */
export class SqlSessionKeyStore implements SessionKeyStore {
  readonly #db: SqlDatabase;

  constructor(db: SqlDatabase) {
    this.#db = db;
  }

  async rotate(input: RotateSessionInput): Promise<{ previousGraceEndsAtMs: number | null }> {
    const { ownerId, peerId, keyId, nowMs } = input;
    checkCount('graceMs', input.graceMs, 0);
    const graceEndsAtMs = nowMs + input.graceMs;
    return this.#db.transaction(async (tx) => {
      await tx.execute(
        `INSERT INTO sessions (owner_id, peer_id, schedule, next_rotation_at_ms) VALUES ($1, $2, $3, $4)
          ON CONFLICT (owner_id, peer_id) DO UPDATE SET schedule = excluded.schedule,
            next_rotation_at_ms = excluded.next_rotation_at_ms`,
        [ownerId, peerId, input.schedule, input.nextRotationAtMs],
      );
      const superseded = await tx.execute(
        `UPDATE session_keys SET grace_ends_at_ms = $3
          WHERE owner_id = $1 AND peer_id = $2 AND grace_ends_at_ms IS NULL`,
        [ownerId, peerId, graceEndsAtMs],
      );
      try {
        await tx.execute(
          `INSERT INTO session_keys (owner_id, peer_id, key_id, statement, schedule, created_at_ms)
            VALUES ($1, $2, $3, $4, $5, $6)`,
          [ownerId, peerId, keyId, input.statement, input.schedule, nowMs],
        );
      } catch (err) {
        if (isUniqueViolation(err)) {
          throw new AlreadyExistsError(
            `key ${keyId} is already a key of the session ${ownerId}->${peerId}`,
            { cause: err },
          );
        }
        throw err;
      }
      await tx.execute('DELETE FROM rotation_notices WHERE owner_id = $1 AND peer_id = $2', [
        ownerId,
        peerId,
      ]);
      return { previousGraceEndsAtMs: superseded > 0 ? graceEndsAtMs : null };
    });
  }

  async list(ownerId: string, peerId: string, nowMs: number): Promise<SessionKeyRecord[]> {
    const rows = await this.#db.query<SessionKeyRow>(
      `SELECT owner_id, peer_id, key_id, statement, schedule, created_at_ms, grace_ends_at_ms
        FROM session_keys
        WHERE owner_id = $1 AND peer_id = $2 AND (grace_ends_at_ms IS NULL OR grace_ends_at_ms > $3)
        ORDER BY CASE WHEN grace_ends_at_ms IS NULL THEN 0 ELSE 1 END, seq DESC`,
      [ownerId, peerId, nowMs],
    );
    return rows.map(toRecord);
  }

  async claimDueRotations(nowMs: number, limit: number, retryMs: number): Promise<DueRotation[]> {
    checkCount('limit', limit, 0);
    checkCount('retryMs', retryMs, 1);
    if (limit === 0) return [];
    return this.#db.transaction(async (tx) => {
      const due = await tx.query<DueRow>(
        `SELECT s.owner_id, s.peer_id, k.key_id, s.schedule, s.next_rotation_at_ms
          FROM sessions s
          JOIN session_keys k
            ON k.owner_id = s.owner_id AND k.peer_id = s.peer_id AND k.grace_ends_at_ms IS NULL
          WHERE s.next_rotation_at_ms IS NOT NULL AND s.next_rotation_at_ms <= $1
          ORDER BY s.next_rotation_at_ms, s.owner_id, s.peer_id
          LIMIT $2${claimRows(tx, 's')}`,
        [nowMs, limit],
      );
      if (due.length === 0) return [];
      for (const row of due) {
        await tx.execute(
          'UPDATE sessions SET next_rotation_at_ms = $3 WHERE owner_id = $1 AND peer_id = $2',
          [row.owner_id, row.peer_id, nowMs + retryMs],
        );
      }
      await tx.execute(
        `INSERT INTO rotation_notices (notice_id, owner_id, peer_id, key_id, due_at_ms, created_at_ms)
          VALUES ${valuesList(due.length, 6)}`,
        due.flatMap((row) => [
          randomUUID(),
          row.owner_id,
          row.peer_id,
          row.key_id,
          row.next_rotation_at_ms,
          nowMs,
        ]),
      );
      return due.map((row) => ({
        ownerId: row.owner_id,
        peerId: row.peer_id,
        keyId: row.key_id,
        schedule: row.schedule,
        dueAtMs: row.next_rotation_at_ms,
      }));
    });
  }

  async listNotices(ownerId: string): Promise<RotationNotice[]> {
    const rows = await this.#db.query<NoticeRow>(
      `SELECT notice_id, owner_id, peer_id, key_id, due_at_ms, created_at_ms FROM rotation_notices
        WHERE owner_id = $1 ORDER BY created_at_ms, seq`,
      [ownerId],
    );
    return rows.map(toNotice);
  }

  expireGraceKeys(nowMs: number): Promise<number> {
    return this.#db.execute(
      'DELETE FROM session_keys WHERE grace_ends_at_ms IS NOT NULL AND grace_ends_at_ms <= $1',
      [nowMs],
    );
  }
}
