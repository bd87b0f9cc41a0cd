/**
 * BatchedReplayGuard on node:sqlite and on PostgreSQL: the same verdicts as one statement per
 * call would give (new, retry, conflict, enqueued), with concurrent calls written as one
 * statement — including two calls of one batch with the same id.
 */
import {
  migrate,
  openPostgresDatabase,
  openSqliteDatabase,
  type SqlDatabase,
  type SqlValue,
} from '@proof-messenger/storage';
import { postgresUrl, requireServices, uniqueSchemaName } from '@proof-messenger/storage/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BatchedReplayGuard } from '../src/stores/batched-replay-guard.ts';
import { envelopeProcessorMigrations } from '../src/stores/envelope-processor-migrations.ts';

const postgres = await requireServices(['postgres']);
if (!postgres.available)
  console.warn(`skipping BatchedReplayGuard on PostgreSQL: ${postgres.reason}`);

interface Backend {
  readonly db: SqlDatabase;
  close(): Promise<void>;
}

const backends: Array<[string, () => Promise<Backend>, boolean]> = [
  [
    'node:sqlite',
    async () => {
      const db = await openSqliteDatabase(':memory:');
      return { db, close: () => db.close() };
    },
    true,
  ],
  [
    'PostgreSQL',
    async () => {
      const schema = uniqueSchemaName('pm_replay');
      const db = await openPostgresDatabase({ connectionString: postgresUrl(), schema, max: 3 });
      return {
        db,
        close: async () => {
          await db.execute(`DROP SCHEMA "${schema}" CASCADE`);
          await db.close();
        },
      };
    },
    postgres.available,
  ],
];

/** The database, counting the statements that reach it (the guard under test is real). */
function counting(db: SqlDatabase): { db: SqlDatabase; statements: string[] } {
  const statements: string[] = [];
  const note = (sql: string) => statements.push(sql.trim().split(/\s+/)[0] ?? '');
  return {
    statements,
    db: {
      ...db,
      query: <Row extends object>(sql: string, params?: readonly SqlValue[]) => {
        note(sql);
        return db.query<Row>(sql, params);
      },
      execute: (sql: string, params?: readonly SqlValue[]) => {
        note(sql);
        return db.execute(sql, params);
      },
    },
  };
}

const digest = (n: number) => new Uint8Array(32).fill(n);

describe.each(backends)('BatchedReplayGuard on %s', (_name, open, available) => {
  let backend: Backend;
  let statements: string[];
  let guard: BatchedReplayGuard;

  beforeEach(async () => {
    if (!available) return;
    backend = await open();
    await migrate(backend.db, envelopeProcessorMigrations);
    const counted = counting(backend.db);
    statements = counted.statements;
    guard = new BatchedReplayGuard(counted.db);
  });
  afterEach(async () => {
    if (available) await backend.close();
  });

  const remember = (messageId: string, d: number, senderId = 'ann') =>
    guard.remember(senderId, messageId, digest(d), 3, 1000, 61_000);

  it.runIf(available)('remembers concurrent new ids with one INSERT', async () => {
    const verdicts = await Promise.all(
      Array.from({ length: 40 }, (_, i) => remember(`m-${i}`, i, i % 2 === 0 ? 'ann' : 'bob')),
    );
    expect(verdicts).toEqual(Array.from({ length: 40 }, () => ({ kind: 'new' })));
    expect(statements).toEqual(['INSERT']);
    const rows = await backend.db.query<{ n: number }>(
      'SELECT COUNT(*) AS n FROM seen_messages WHERE enqueued = 0',
    );
    expect(Number(rows[0]?.n)).toBe(40);
  });

  it.runIf(available)('tells retries from conflicts, in one batch and across batches', async () => {
    expect(await remember('m-1', 1)).toEqual({ kind: 'new' });
    const [retry, conflict, sameBatchFirst, sameBatchRetry, sameBatchConflict] = await Promise.all([
      remember('m-1', 1),
      remember('m-1', 2),
      remember('m-2', 5),
      remember('m-2', 5),
      remember('m-2', 6),
    ]);
    expect(retry).toEqual({ kind: 'retry', partition: 3, acceptedAtMs: 1000, enqueued: false });
    expect(conflict).toEqual({ kind: 'conflict' });
    expect(sameBatchFirst).toEqual({ kind: 'new' });
    expect(sameBatchRetry).toEqual({
      kind: 'retry',
      partition: 3,
      acceptedAtMs: 1000,
      enqueued: false,
    });
    expect(sameBatchConflict).toEqual({ kind: 'conflict' });
  });

  it.runIf(available)('marks concurrent ids enqueued with one UPDATE', async () => {
    await Promise.all(['a', 'b', 'c'].map((id, i) => remember(id, i)));
    statements.length = 0;
    await Promise.all(['a', 'b', 'c'].map((id) => guard.markEnqueued('ann', id)));
    expect(statements).toEqual(['UPDATE']);
    expect(await remember('b', 1)).toEqual({
      kind: 'retry',
      partition: 3,
      acceptedAtMs: 1000,
      enqueued: true,
    });
    // Another sender's id of the same name is untouched.
    expect(await remember('b', 1, 'bob')).toEqual({ kind: 'new' });
  });

  it.runIf(available)('prunes records past their time', async () => {
    await remember('old', 1);
    expect(await guard.prune(61_000)).toBe(1);
    expect(await remember('old', 2)).toEqual({ kind: 'new' });
  });
});
