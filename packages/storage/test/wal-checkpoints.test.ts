/**
 * WAL checkpoints in the checkpoint worker (internal/wal-checkpoints.ts): the owner's connection
 * never checkpoints inside a COMMIT while the worker does it, the WAL stays bounded, closing
 * leaves no WAL behind, and a worker that refuses or dies hands the checkpoints back to SQLite.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SqlDatabase } from '../src/index.ts';
import { CheckpointWorker } from '../src/internal/wal-checkpoints.ts';
import {
  openSqliteDatabaseWith,
  walCheckpointNow,
  walCheckpointState,
} from '../src/sqlite-database.ts';

const ROW = new Uint8Array(4000).fill(9);
const ROWS_PER_ROUND = 1500; // ~6 MB of rows: ~1,500 WAL pages, past SQLite's 1,000-page default

async function autocheckpointPages(db: SqlDatabase): Promise<unknown> {
  const [row] = await db.query<Record<string, unknown>>('PRAGMA wal_autocheckpoint');
  return Object.values(row ?? {})[0];
}

async function writeRound(db: SqlDatabase, round: number): Promise<void> {
  await Promise.all(
    Array.from({ length: ROWS_PER_ROUND }, (_, i) =>
      db.execute('INSERT INTO t (id, body) VALUES ($1, $2)', [round * ROWS_PER_ROUND + i, ROW]),
    ),
  );
}

async function until(what: string, done: () => boolean | Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await done()) return;
    await sleep(50);
  }
  throw new Error(`gave up waiting until ${what}`);
}

describe('WAL checkpoints', () => {
  let dir: string;
  let path: string;
  let db: SqlDatabase | undefined;
  const warnings: string[] = [];
  const onWarning = (warning: Error) => warnings.push(warning.message);

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pm-checkpoints-'));
    path = join(dir, 'data.db');
    warnings.length = 0;
    process.on('warning', onWarning);
  });
  afterEach(async () => {
    process.off('warning', onWarning);
    await db?.close();
    db = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs them in the worker, keeps the WAL bounded, and leaves no WAL after close', async () => {
    const worker = new CheckpointWorker(undefined, 0);
    db = await openSqliteDatabaseWith(path, {}, undefined, worker);
    // Opening does not wait for the worker (it would lengthen every start); this does.
    expect(walCheckpointState(db)?.mode).toBe('inline');
    await walCheckpointNow(db);
    expect(walCheckpointState(db)?.mode).toBe('worker');
    // The owner's COMMITs never checkpoint: SQLite's automatic checkpoint is off.
    expect(await autocheckpointPages(db)).toBe(0);
    await db.executeScript('CREATE TABLE t (id INTEGER PRIMARY KEY, body BLOB)');

    const roundBytes = ROWS_PER_ROUND * ROW.length;
    for (let round = 0; round < 4; round++) {
      await writeRound(db, round);
      // The worker copies the round's pages back, all of them (asked now rather than waiting
      // for its next round, so that the next round of writes starts on an empty WAL).
      await walCheckpointNow(db);
      expect(walCheckpointState(db)?.pendingFrames).toBe(0);
    }
    // Nothing checkpointed inline, so without the worker the WAL would hold all four rounds
    // (~24 MB); the writer reuses it once the worker copied everything back.
    expect(statSync(`${path}-wal`).size).toBeLessThan(2 * roundBytes);
    // Unasked, the worker checkpoints on its own schedule too.
    await writeRound(db, 4);
    const asked = walCheckpointState(db)?.workerCheckpoints ?? 0;
    const opened = db;
    await until('the worker checkpointed on its own', () => {
      const state = walCheckpointState(opened);
      return (state?.workerCheckpoints ?? 0) > asked && state?.pendingFrames === 0;
    });
    expect(warnings).toEqual([]);

    const [count] = await db.query<{ n: number }>('SELECT COUNT(*) AS n FROM t');
    expect(count?.n).toBe(5 * ROWS_PER_ROUND);
    await db.close();
    db = undefined;
    // The worker's connection closed first, so the owner's, the last one, removed the WAL.
    expect(existsSync(`${path}-wal`)).toBe(false);
    expect(worker.size).toBe(0);
  });

  it('restarts the WAL under steady writes, which never leave the worker a quiet moment', async () => {
    const worker = new CheckpointWorker(undefined, 0);
    db = await openSqliteDatabaseWith(path, {}, undefined, worker);
    await walCheckpointNow(db);
    expect(walCheckpointState(db)?.mode).toBe('worker');
    await db.executeScript('CREATE TABLE t (id INTEGER PRIMARY KEY, body BLOB)');
    // 25,600 rows of 4 KB (~102 MB) in back-to-back group commits of 64, never asking for a
    // checkpoint: each commit starts as soon as the previous one is synced, so one lands while
    // any checkpoint of the worker runs, and SQLite alone would never restart the WAL (it
    // reached the size of everything written).
    const opened = db;
    let id = 0;
    let largestWal = 0;
    for (let commit = 0; commit < 400; commit++) {
      await Promise.all(
        Array.from({ length: 64 }, () =>
          opened.execute('INSERT INTO t (id, body) VALUES ($1, $2)', [id++, ROW]),
        ),
      );
      largestWal = Math.max(largestWal, statSync(`${path}-wal`).size);
    }
    const written = id * ROW.length;
    expect(written).toBeGreaterThan(96 * 2 ** 20);
    // Reset from 16 MiB of frames on, and cut back to 16 MiB; on top comes what is written until
    // the worker's next report (~100 ms: 10-20 MB at this test's pace on the reference machine).
    expect(largestWal).toBeLessThan(48 * 2 ** 20);
    expect(statSync(`${path}-wal`).size).toBeLessThan(48 * 2 ** 20);
    expect(walCheckpointState(db)?.walResets).toBeGreaterThanOrEqual(1);
    const [count] = await db.query<{ n: number }>('SELECT COUNT(*) AS n FROM t');
    expect(count?.n).toBe(id);
    expect(warnings).toEqual([]);
  });

  it('checkpoints inline when the worker cannot open the database', async () => {
    const worker = new CheckpointWorker(
      new URL('./fixtures/refusing-checkpoint-worker.js', import.meta.url),
      0,
    );
    db = await openSqliteDatabaseWith(path, {}, undefined, worker);
    await walCheckpointNow(db);
    expect(walCheckpointState(db)).toMatchObject({ mode: 'inline', reason: 'unable to open file' });
    expect(await autocheckpointPages(db)).toBe(1000);
    expect(warnings.join('\n')).toContain('WAL checkpoints run inline again: unable to open file');
    expect(worker.size).toBe(0);
  });

  it('checkpoints inline again when the worker dies, and the WAL stays bounded', async () => {
    const worker = new CheckpointWorker(
      new URL('./fixtures/dying-checkpoint-worker.js', import.meta.url),
      0,
    );
    db = await openSqliteDatabaseWith(path, {}, undefined, worker);
    const opened = db;
    await until(
      'the worker took the database',
      () => walCheckpointState(opened)?.mode === 'worker',
    );
    expect(await autocheckpointPages(db)).toBe(0);
    await until('the database noticed', () => walCheckpointState(opened)?.mode === 'inline');
    expect(walCheckpointState(db)?.reason).toContain('the checkpoint worker exited (3)');
    expect(await autocheckpointPages(db)).toBe(1000);
    expect(warnings.join('\n')).toContain('WAL checkpoints run inline again');

    await db.executeScript('CREATE TABLE t (id INTEGER PRIMARY KEY, body BLOB)');
    for (let round = 0; round < 4; round++) await writeRound(db, round);
    // SQLite's own checkpoints keep it near 1,000 pages (4 MB) instead of ~24 MB.
    expect(statSync(`${path}-wal`).size).toBeLessThan(2 * ROWS_PER_ROUND * ROW.length);
  });

  it('does not keep a process alive that ends without closing its database', async () => {
    // Ends on its own (the test fails on the timeout otherwise), and exits cleanly: not cut off
    // by an unsettled await while the worker was taking the database.
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [join(import.meta.dirname, 'fixtures', 'unclosed-database.ts'), path],
      { timeout: 20_000 },
    );
    expect(stdout).toBe('written\n');
  });
});
