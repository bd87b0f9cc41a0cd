/**
 * The node:sqlite driver: the shared SqlDatabase suite, plus what only SQLite has (durability
 * pragmas, the directory, busy mapping, reopening the file, group commit).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { DatabaseSync } from 'node:sqlite';
import { setTimeout as sleep } from 'node:timers/promises';
import { UnavailableError } from '@proof-messenger/errors';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isUniqueViolation, openSqliteDatabase, type SqlDatabase } from '../src/index.ts';
import { toSqlitePlaceholders } from '../src/internal/placeholders.ts';
import type { WalSyncFiles } from '../src/internal/wal-sync.ts';
import { openSqliteDatabaseWith } from '../src/sqlite-database.ts';
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

  it('creates the directory and sets WAL, synchronous=NORMAL (synced by WalSync), foreign keys and busy_timeout', async () => {
    const pragma = async (name: string) =>
      Object.values((await db.query<Record<string, unknown>>(`PRAGMA ${name}`))[0] ?? {})[0];
    expect(await pragma('journal_mode')).toBe('wal');
    expect(await pragma('synchronous')).toBe(1);
    expect(await pragma('foreign_keys')).toBe(1);
    expect(await pragma('busy_timeout')).toBe(5000);
    expect(await pragma('temp_store')).toBe(2); // MEMORY
  });

  it('keeps the savepoint journal of a group commit in memory, not in a temporary file', async () => {
    // Every unit of a group commit runs in a savepoint, and SQLite copies each page a savepoint
    // changes into a sub-journal; beyond 64 KiB that spills into a temporary file (opened and
    // unlinked at once), costing two syscalls per page. temp_store=MEMORY keeps it in memory.
    const temporaryFiles = () =>
      readdirSync('/proc/self/fd').filter((fd) => {
        try {
          return /etilqs_/.test(readlinkSync(`/proc/self/fd/${fd}`));
        } catch {
          return false; // closed meanwhile
        }
      }).length;
    await db.executeScript('CREATE TABLE t (id INTEGER PRIMARY KEY, body BLOB)');
    const rows = Array.from({ length: 64 }, (_, i) => i);
    await db.transaction(async (tx) => {
      for (const id of rows)
        await tx.execute('INSERT INTO t VALUES ($1, $2)', [id, new Uint8Array(4000)]);
    });
    let duringUnit = -1;
    await db.transaction(async (tx) => {
      // Rewrites ~256 KiB of existing pages inside this unit's savepoint.
      await tx.execute('UPDATE t SET body = $1', [new Uint8Array(4000).fill(1)]);
      duringUnit = temporaryFiles();
    });
    expect(duringUnit).toBe(0);
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

/** Real file operations, except that each WAL fdatasync waits until the test releases it. */
class HeldSyncs implements WalSyncFiles {
  readonly held: Array<{ release: () => void; fail: (error: Error) => void }> = [];
  readonly synced: string[] = [];
  readonly #paths = new Map<number, string>();
  #nextFd = 100;

  async open(path: string): Promise<number> {
    const fd = this.#nextFd++;
    this.#paths.set(fd, path);
    return fd;
  }

  sync(fd: number, directory: boolean): Promise<void> {
    const path = this.#paths.get(fd) ?? '?';
    if (directory) {
      this.synced.push(`dir ${path}`);
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      this.held.push({
        release: () => {
          this.synced.push(`wal ${path}`);
          resolve();
        },
        fail: reject,
      });
    });
  }

  async close(fd: number): Promise<void> {
    this.#paths.delete(fd);
  }

  /** Waits until `count` syncs are being held. */
  async waitFor(count: number): Promise<void> {
    while (this.held.length < count) await sleep(1);
  }
}

describe('sqlite WAL sync (synchronous=NORMAL + fdatasync off the event loop)', () => {
  let dir: string;
  let db: SqlDatabase;
  let files: HeldSyncs;

  beforeEach(async () => {
    dir = tempDir();
    files = new HeldSyncs();
    db = await openSqliteDatabaseWith(join(dir, 'data.db'), {}, files);
  });
  afterEach(async () => {
    for (const held of files.held) held.release();
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Creates table t, releasing the first sync (its WAL file's first, with the directory's). */
  const createTable = async () => {
    const script = db.executeScript('CREATE TABLE t (id INTEGER PRIMARY KEY)');
    await files.waitFor(1);
    files.held[0]?.release();
    await script;
  };

  const settledYet = async (promise: Promise<unknown>) => {
    let settled = false;
    promise.then(
      () => {
        settled = true;
      },
      () => {
        settled = true;
      },
    );
    await sleep(20);
    return settled;
  };

  it('answers a write only after the WAL file (and once its directory) is synced', async () => {
    const script = db.executeScript('CREATE TABLE t (id INTEGER PRIMARY KEY)');
    await files.waitFor(1);
    expect(await settledYet(script)).toBe(false);
    expect(files.synced).toEqual([`dir ${dir}`]);
    files.held[0]?.release();
    await script;
    const write = db.execute('INSERT INTO t (id) VALUES (1)');
    await files.waitFor(2);
    expect(await settledYet(write)).toBe(false);
    files.held[1]?.release();
    await expect(write).resolves.toBe(1);
    expect(files.synced).toEqual([
      `dir ${dir}`,
      `wal ${join(dir, 'data.db')}-wal`,
      `wal ${join(dir, 'data.db')}-wal`,
    ]);
  });

  it('holds back a read that could see a commit not yet synced', async () => {
    await createTable();
    const write = db.execute('INSERT INTO t (id) VALUES (7)');
    await files.waitFor(2);
    // The row is committed (SQLite shows it) but not durable: the read must wait for the sync.
    const read = db.query<{ id: number }>('SELECT id FROM t');
    expect(await settledYet(read)).toBe(false);
    files.held[1]?.release();
    expect(await read).toEqual([{ id: 7 }]);
    await write;
  });

  it('commits the next batch once the previous one is synced, with what arrived meanwhile', async () => {
    await createTable();
    // Another connection sees what is committed (WAL readers), synced or not.
    const observer = new DatabaseSync(join(dir, 'data.db'), { readOnly: true });
    const committed = () =>
      (observer.prepare('SELECT id FROM t ORDER BY id').all() as Array<{ id: number }>).map(
        (row) => row.id,
      );
    try {
      const first = db.execute('INSERT INTO t (id) VALUES (1)');
      await files.waitFor(2);
      const second = db.execute('INSERT INTO t (id) VALUES (2)');
      const third = db.execute('INSERT INTO t (id) VALUES (3)');
      await sleep(20);
      // The first batch's sync is held: the others wait, uncommitted, instead of committing
      // one by one.
      expect(committed()).toEqual([1]);
      expect(files.held).toHaveLength(2);
      files.held[1]?.release();
      await first;
      await files.waitFor(3);
      expect(committed()).toEqual([1, 2, 3]);
      expect(await settledYet(Promise.all([second, third]))).toBe(false);
      files.held[2]?.release();
      expect(await Promise.all([second, third])).toEqual([1, 1]);
      expect(files.held).toHaveLength(3);
    } finally {
      observer.close();
    }
  });

  it('a failed sync rejects the waiting writes and fails the database for good', async () => {
    await createTable();
    const write = db.execute('INSERT INTO t (id) VALUES (1)');
    await files.waitFor(2);
    files.held[1]?.fail(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' }));
    const failure =
      'the database could not make its writes durable (fsync failed); restart the service';
    await expect(write).rejects.toThrow(failure);
    await expect(write).rejects.toBeInstanceOf(UnavailableError);
    await expect(db.execute('INSERT INTO t (id) VALUES (2)')).rejects.toThrow(failure);
    await expect(db.query('SELECT id FROM t')).rejects.toThrow(failure);
  });

  it('a write through query (INSERT … RETURNING) joins the group commit and is synced', async () => {
    await createTable();
    const write = db.query<{ id: number }>('INSERT INTO t (id) VALUES (3) RETURNING id');
    await files.waitFor(2);
    expect(await settledYet(write)).toBe(false);
    files.held[1]?.release();
    expect(await write).toEqual([{ id: 3 }]);
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
