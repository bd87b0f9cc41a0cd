/**
 * The node:sqlite driver: the shared SqlDatabase suite, plus what only SQLite has (durability
 * pragmas, the directory, busy mapping, reopening the file, group commit).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { UnavailableError } from '@proof-messenger/errors';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isUniqueViolation, openSqliteDatabase, type SqlDatabase } from '../src/index.ts';
import { toSqlitePlaceholders } from '../src/internal/placeholders.ts';
import { sqlDatabaseSuite } from './sql-database-suite.ts';

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'pm-storage-'));
}

describe('sqlite database', () => {
  sqlDatabaseSuite(async () => {
    const dir = tempDir();
    const db = await openSqliteDatabase(join(dir, 'test.db'));
    return {
      db,
      destroy: async () => {
        await db.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  });
});

describe('sqlite specifics', () => {
  let dir: string;
  let db: SqlDatabase;

  beforeEach(async () => {
    dir = tempDir();
    db = await openSqliteDatabase(join(dir, 'nested', 'deeper', 'data.db'));
  });
  afterEach(async () => {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates the directory and sets WAL, synchronous=FULL, foreign keys and busy_timeout', async () => {
    const pragma = async (name: string) =>
      Object.values((await db.query<Record<string, unknown>>(`PRAGMA ${name}`))[0] ?? {})[0];
    expect(await pragma('journal_mode')).toBe('wal');
    expect(await pragma('synchronous')).toBe(2);
    expect(await pragma('foreign_keys')).toBe(1);
    expect(await pragma('busy_timeout')).toBe(5000);
  });

  it('keeps committed data across close and reopen', async () => {
    await db.executeScript('CREATE TABLE t (v TEXT); INSERT INTO t VALUES (1);');
    await db.execute('INSERT INTO t VALUES ($1)', ['two']);
    await db.close();
    db = await openSqliteDatabase(join(dir, 'nested', 'deeper', 'data.db'));
    expect(
      (await db.query<{ v: string }>('SELECT v FROM t ORDER BY rowid')).map((r) => r.v),
    ).toEqual(['1', 'two']);
  });

  it('reports a file locked by another connection as UnavailableError (SQLITE_BUSY)', async () => {
    await db.executeScript('CREATE TABLE t (v INTEGER)');
    const other = await openSqliteDatabase(join(dir, 'nested', 'deeper', 'data.db'), {
      busyTimeoutMs: 0,
    });
    try {
      let release = () => {};
      let locked = () => {};
      const writing = new Promise<void>((resolve) => {
        locked = resolve;
      });
      const held = db.transaction(async (tx) => {
        await tx.execute('INSERT INTO t VALUES (1)');
        locked();
        await new Promise<void>((resolve) => {
          release = resolve;
        });
      });
      await writing;
      const error = await other.execute('INSERT INTO t VALUES (2)').catch((e: unknown) => e);
      release();
      await held;
      expect(error).toBeInstanceOf(UnavailableError);
      expect((error as UnavailableError).message).toBe('the database is busy; retry later');
      expect((error as UnavailableError).retryable).toBe(true);
      expect(await other.query('SELECT v FROM t')).toHaveLength(1);
    } finally {
      await other.close();
    }
  });

  it('rejects a negative busy timeout', async () => {
    await expect(openSqliteDatabase(join(dir, 'x.db'), { busyTimeoutMs: -1 })).rejects.toThrow(
      RangeError,
    );
  });
});

describe('sqlite group commit', () => {
  let dir: string;
  let db: SqlDatabase;
  const ids = async () =>
    (await db.query<{ id: number }>('SELECT id FROM t ORDER BY id')).map((row) => row.id);

  beforeEach(async () => {
    dir = tempDir();
    db = await openSqliteDatabase(join(dir, 'data.db'));
    await db.executeScript('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)');
  });
  afterEach(async () => {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers no caller of a batch before the batch committed', async () => {
    const order: string[] = [];
    const quick = db
      .transaction(async (tx) => {
        await tx.execute('INSERT INTO t (id) VALUES (1)');
        order.push('quick done');
      })
      .then(() => order.push('quick answered'));
    const slow = db
      .transaction(async (tx) => {
        await tx.execute('INSERT INTO t (id) VALUES (2)');
        await sleep(30);
        order.push('slow done');
      })
      .then(() => order.push('slow answered'));
    await Promise.all([quick, slow]);
    // Both were in one batch: the quick one waited for the slow one's work and the shared COMMIT.
    expect(order).toEqual(['quick done', 'slow done', 'quick answered', 'slow answered']);
    expect(await ids()).toEqual([1, 2]);
  });

  it('a failing unit is rolled back alone; the others of its batch commit', async () => {
    await db.execute("INSERT INTO t (id, v) VALUES (1, 'first')");
    const results = await Promise.allSettled([
      db.execute('INSERT INTO t (id) VALUES (2)'),
      db.transaction(async (tx) => {
        await tx.execute('INSERT INTO t (id) VALUES (3)');
        await tx.execute('INSERT INTO t (id) VALUES (1)'); // primary key violation
      }),
      db.transaction(async (tx) => {
        await tx.execute('INSERT INTO t (id) VALUES (4)');
        throw new Error('changed my mind');
      }),
      db.transaction(async (tx) => tx.execute('INSERT INTO t (id) VALUES (5)')),
    ]);
    expect(results.map((result) => result.status)).toEqual([
      'fulfilled',
      'rejected',
      'rejected',
      'fulfilled',
    ]);
    expect(isUniqueViolation((results[1] as PromiseRejectedResult).reason)).toBe(true);
    expect((results[2] as PromiseRejectedResult).reason).toEqual(new Error('changed my mind'));
    expect(await ids()).toEqual([1, 2, 5]);
  });

  it('later units of a batch see earlier ones, and a retry of a lost race reads the winner', async () => {
    const first = db.execute('INSERT INTO t (id, v) VALUES (1, $1) ON CONFLICT DO NOTHING', ['a']);
    const second = db.execute('INSERT INTO t (id, v) VALUES (1, $1) ON CONFLICT DO NOTHING', ['b']);
    expect(await Promise.all([first, second])).toEqual([1, 0]);
    expect(await db.query('SELECT v FROM t')).toEqual([{ v: 'a' }]);
  });

  it('a COMMIT that fails rejects every unit of the batch and keeps none of them', async () => {
    await db.executeScript(`CREATE TABLE parent (id INTEGER PRIMARY KEY);
      CREATE TABLE child (parent_id INTEGER REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED)`);
    const results = await Promise.allSettled([
      db.execute('INSERT INTO t (id) VALUES (1)'),
      db.execute('INSERT INTO child (parent_id) VALUES (42)'), // checked only at COMMIT
    ]);
    expect(results.map((result) => result.status)).toEqual(['rejected', 'rejected']);
    expect(await ids()).toEqual([]);
    await db.execute('INSERT INTO t (id) VALUES (2)');
    expect(await ids()).toEqual([2]);
  });

  it('runs writes queued before close, then refuses new ones', async () => {
    const queued = db.execute('INSERT INTO t (id) VALUES (1)');
    const closing = db.close();
    await expect(queued).resolves.toBe(1);
    await closing;
    await expect(db.execute('INSERT INTO t (id) VALUES (2)')).rejects.toBeInstanceOf(
      UnavailableError,
    );
    db = await openSqliteDatabase(join(dir, 'data.db'));
    expect(await ids()).toEqual([1]);
  });

  it('keeps every write it answered when the process is killed (SIGKILL) mid-load', async () => {
    const file = join(dir, 'crash.db');
    const child = spawn(
      process.execPath,
      [join(import.meta.dirname, 'fixtures', 'group-commit-writer.ts'), file],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const answered: number[] = [];
    const lines = createInterface({ input: child.stdout });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    await new Promise<void>((resolve) => {
      lines.on('line', (line) => {
        if (line !== 'ready') answered.push(Number(line));
        if (answered.length === 2000) {
          child.kill('SIGKILL');
          resolve();
        }
      });
    });
    await exited;
    const reopened = await openSqliteDatabase(file);
    try {
      const stored = new Set(
        (await reopened.query<{ id: number }>('SELECT id FROM acked')).map((row) => row.id),
      );
      expect(answered.filter((id) => !stored.has(id))).toEqual([]);
    } finally {
      await reopened.close();
    }
  }, 30_000);
});

describe('toSqlitePlaceholders', () => {
  it('rewrites $n outside literals, quoted names and comments', () => {
    expect(
      toSqlitePlaceholders(
        `SELECT $1, '$2 it''s', "col$3", $10 -- $4\n/* $5 */ FROM t WHERE a = $2`,
      ),
    ).toBe(`SELECT ?1, '$2 it''s', "col$3", ?10 -- $4\n/* $5 */ FROM t WHERE a = ?2`);
  });
});
