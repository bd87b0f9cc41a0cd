/**
 * admitMessage on the embedded storage (replay guard and queue in one SQLite file): remembering
 * the id and storing the message commit together or not at all; concurrent admissions of one id
 * resolve to one stored message; a second database (as in the distributed mode) takes the
 * three-step path.
 */

import { SqliteMessageQueue } from '@proof-messenger/queue';
import { migrate, openSqliteDatabase, type SqlDatabase } from '@proof-messenger/storage';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { envelopeProcessorMigrations } from '../src/stores/envelope-processor-migrations.ts';
import { admitMessage, type ReplayRecord } from '../src/stores/message-admission.ts';
import { SqlReplayGuard } from '../src/stores/sql-replay-guard.ts';

const record = (digest: number, nowMs = 1000): ReplayRecord => ({
  senderId: 'ann',
  messageId: 'm-1',
  digest: new Uint8Array(32).fill(digest),
  partition: 3,
  nowMs,
  forgetAfterMs: nowMs + 60_000,
});

const message = (messageId = 'm-1') => ({
  messageId,
  senderId: 'ann',
  recipientId: 'bob',
  priority: 2 as const,
  expiresAtMs: Number.MAX_SAFE_INTEGER,
  body: new Uint8Array([1, 2, 3]),
  kind: 'envelope' as const,
});

describe('admitMessage (embedded: one SQLite file)', () => {
  let db: SqlDatabase;
  let queue: SqliteMessageQueue;
  let replay: SqlReplayGuard;

  beforeEach(async () => {
    db = await openSqliteDatabase(':memory:');
    await migrate(db, envelopeProcessorMigrations);
    queue = await SqliteMessageQueue.open(db);
    replay = new SqlReplayGuard(db);
  });
  afterEach(async () => {
    await queue.close();
    await db.close();
  });

  const seen = () => db.query('SELECT message_id, enqueued FROM seen_messages');

  it('stores the message and the record together', async () => {
    expect(await admitMessage(replay, queue, record(1), message())).toMatchObject({
      kind: 'stored',
      acceptedAtMs: 1000,
      duplicate: false,
      confirmed: true,
      retry: false,
    });
    expect(await seen()).toEqual([{ message_id: 'm-1', enqueued: 1 }]);
    expect(await queue.depth('bob')).toBe(1);
    // A retry after the store was confirmed: nothing new happened (and nothing is audited).
    expect(await admitMessage(replay, queue, record(1, 2000), message())).toMatchObject({
      kind: 'stored',
      acceptedAtMs: 1000,
      duplicate: true,
      confirmed: false,
      retry: true,
    });
  });

  it('leaves no record when storing the message fails (a retry is then admitted as new)', async () => {
    const broken = { ...message(), messageId: 'bad\nid' }; // the queue refuses it
    await expect(admitMessage(replay, queue, record(1), broken)).rejects.toThrow(
      'message.messageId must not contain control characters',
    );
    expect(await seen()).toEqual([]);
    expect(await admitMessage(replay, queue, record(1), message())).toMatchObject({
      kind: 'stored',
      duplicate: false,
    });
  });

  it('concurrent admissions of one id: one stored, the same envelope is a duplicate, another a conflict', async () => {
    const [first, retry, replayed] = await Promise.all([
      admitMessage(replay, queue, record(1), message()),
      admitMessage(replay, queue, record(1, 2000), message()),
      admitMessage(replay, queue, record(2, 3000), message()),
    ]);
    expect(first).toMatchObject({ kind: 'stored', acceptedAtMs: 1000, duplicate: false });
    expect(retry).toMatchObject({ kind: 'stored', acceptedAtMs: 1000, duplicate: true });
    expect(replayed).toEqual({ kind: 'conflict' });
    expect(await queue.depth('bob')).toBe(1);
  });

  it('takes the step-by-step path when guard and queue live in different databases', async () => {
    const other = await openSqliteDatabase(':memory:');
    try {
      await migrate(other, envelopeProcessorMigrations);
      const apart = new SqlReplayGuard(other);
      expect(await admitMessage(apart, queue, record(1), message())).toMatchObject({
        kind: 'stored',
        duplicate: false,
      });
      expect(await other.query('SELECT enqueued FROM seen_messages')).toEqual([{ enqueued: 1 }]);
      expect(await seen()).toEqual([]);
      expect(await queue.depth('bob')).toBe(1);
    } finally {
      await other.close();
    }
  });
});
