/**
 * The embedded queue (node:sqlite) against the MessageQueue contract, on a fake clock and a
 * fresh database file per case, plus what only this adapter has (migrations, settings checks).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidArgumentError } from '@proof-messenger/errors';
import { openSqliteDatabase, type SqlDatabase } from '@proof-messenger/storage';
import { describe, expect, it } from 'vitest';
import { DEFAULT_QUEUE_SETTINGS, type MessageQueue, SqliteMessageQueue } from '../src/index.ts';
import { describeMessageQueueContract } from './contract/message-queue.contract.ts';
import { fakeClock } from './fake-clock.ts';

describeMessageQueueContract('sqlite', async (settings) => {
  const dir = mkdtempSync(join(tmpdir(), 'pm-queue-'));
  const path = join(dir, 'queue.db');
  let db: SqlDatabase = await openSqliteDatabase(path);
  let queue: MessageQueue = await SqliteMessageQueue.open(db, { settings });
  const t = {
    queue,
    clock: fakeClock(),
    reopen: async () => {
      await queue.close();
      await db.close();
      db = await openSqliteDatabase(path);
      queue = await SqliteMessageQueue.open(db, { settings });
      return queue;
    },
    cleanup: async () => {
      await queue.close();
      await db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return t;
});

describe('SqliteMessageQueue specifics', () => {
  it('rejects bad settings, a bad message and a non-SQLite database', async () => {
    const db = await openSqliteDatabase(':memory:');
    try {
      await expect(
        SqliteMessageQueue.open(db, { settings: { ...DEFAULT_QUEUE_SETTINGS, partitions: 0 } }),
      ).rejects.toThrowError(new RangeError('partitions must be a positive integer, got 0'));
      const queue = await SqliteMessageQueue.open(db);
      await expect(
        queue.enqueue(
          {
            messageId: 'bad\nid',
            senderId: 's',
            recipientId: 'r',
            priority: 2,
            expiresAtMs: 1,
            body: new Uint8Array(1),
            kind: 'envelope',
          },
          0,
        ),
      ).rejects.toThrowError(
        new InvalidArgumentError('message.messageId must not contain control characters', {
          field: 'message.messageId',
        }),
      );
      await expect(queue.receive('r', { max: 0, waitMs: 0 }, 0)).rejects.toThrowError(
        new InvalidArgumentError('max must be a positive integer, got 0', { field: 'max' }),
      );
      const fake = { ...db, dialect: 'postgres' as const };
      await expect(SqliteMessageQueue.open(fake)).rejects.toThrowError(
        new RangeError('SqliteMessageQueue needs a SQLite database, got postgres'),
      );
    } finally {
      await db.close();
    }
  });

  it('migrates once: opening twice over one database keeps the data', async () => {
    const db = await openSqliteDatabase(':memory:');
    try {
      const first = await SqliteMessageQueue.open(db);
      await first.enqueue(
        {
          messageId: 'm',
          senderId: 's',
          recipientId: 'r',
          priority: 2,
          expiresAtMs: Number.MAX_SAFE_INTEGER,
          body: new Uint8Array([1, 2, 3]),
          kind: 'notice',
        },
        0,
      );
      const second = await SqliteMessageQueue.open(db);
      const { deliveries } = await second.receive('r', { max: 5, waitMs: 0 }, 1);
      expect(deliveries.map((d) => [d.message.kind, [...d.message.body]])).toEqual([
        ['notice', [1, 2, 3]],
      ]);
    } finally {
      await db.close();
    }
  });

  it('enqueueWithin stores the message with the caller’s transaction, or not at all', async () => {
    const db = await openSqliteDatabase(':memory:');
    try {
      const queue = await SqliteMessageQueue.open(db);
      expect(queue.database).toBe(db);
      await db.executeScript('CREATE TABLE other (id TEXT)');
      const message = (messageId: string) => ({
        messageId,
        senderId: 's',
        recipientId: 'r',
        priority: 2 as const,
        expiresAtMs: Number.MAX_SAFE_INTEGER,
        body: new Uint8Array([7]),
        kind: 'envelope' as const,
      });
      const waiting = queue.receive('r', { max: 5, waitMs: 2000 }, 0);
      await expect(
        db.transaction(async (tx) => {
          await queue.enqueueWithin(tx, message('rolled-back'), 0);
          await tx.execute("INSERT INTO other VALUES ('rolled-back')");
          throw new Error('abort');
        }),
      ).rejects.toThrow('abort');
      const stored = await db.transaction(async (tx) => {
        const result = await queue.enqueueWithin(tx, message('kept'), 5);
        await tx.execute("INSERT INTO other VALUES ('kept')");
        return result;
      });
      expect(stored).toEqual({ partition: stored.partition, duplicate: false, enqueuedAtMs: 5 });
      const { deliveries } = await waiting;
      expect(deliveries.map((d) => d.message.messageId)).toEqual(['kept']);
      expect(await db.query('SELECT id FROM other')).toEqual([{ id: 'kept' }]);
      expect(await db.transaction((tx) => queue.enqueueWithin(tx, message('kept'), 9))).toEqual({
        partition: stored.partition,
        duplicate: true,
        enqueuedAtMs: 5,
      });
    } finally {
      await db.close();
    }
  });
});
