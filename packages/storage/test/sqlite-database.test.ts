/**
 * The node:sqlite driver: the shared SqlDatabase suite, plus what only SQLite has (durability
 * pragmas, the directory, busy mapping, reopening the file).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UnavailableError } from '@proof-messenger/errors';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteDatabase, type SqlDatabase } from '../src/index.ts';
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

describe('toSqlitePlaceholders', () => {
  it('rewrites $n outside literals, quoted names and comments', () => {
    expect(
      toSqlitePlaceholders(
        `SELECT $1, '$2 it''s', "col$3", $10 -- $4\n/* $5 */ FROM t WHERE a = $2`,
      ),
    ).toBe(`SELECT ?1, '$2 it''s', "col$3", ?10 -- $4\n/* $5 */ FROM t WHERE a = ?2`);
  });
});
