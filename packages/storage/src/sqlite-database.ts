/**
 * The embedded SqlDatabase: node:sqlite (SQLite 3.5x, bundled with Node) on one file.
 *
 * Durability: WAL, and every caller is answered only once its commit is on disk, so a committed
 * transaction survives power loss, not just a process crash (the platform promises that nothing
 * acknowledged is lost). node:sqlite is synchronous, so `synchronous=FULL` would block the event
 * loop for the fsync inside every COMMIT (~0.4–3 ms). Instead the connection runs with
 * `synchronous=NORMAL` (COMMIT only writes the WAL) and `WalSync` fdatasync()s the `-wal` file on
 * libuv's thread pool before the callers are answered (`internal/wal-sync.ts`); the next batch
 * runs meanwhile. Plain reads are answered only once every commit they could have seen is
 * durable too, so nobody acts on a write that a power loss could still take back.
 *
 * Group commit: writes are not committed one by one: `transaction` and `execute` calls issued
 * while the event loop is busy are collected and run, at the next turn (setImmediate; or right
 * away when they queued up behind a running batch), in ONE transaction — each in its own
 * SAVEPOINT, so a unit that fails is rolled back alone and rejects at once, while the others go
 * on — and resolved only after that transaction's COMMIT returned and was synced. If the COMMIT
 * or its sync fails (or SQLite aborts the whole transaction), every unit of the batch rejects:
 * none of them was told it succeeded. A failed sync also fails the database for good (see
 * WalSync). Units see the uncommitted writes of earlier units in their batch; that is safe
 * because they are answered only after the commit that makes those writes durable (or fail with
 * them).
 *
 * Savepoint journal: SQLite copies every page a savepoint changes into a sub-journal, so that the
 * unit can be rolled back alone. By default that journal spills into a temporary file beyond
 * 64 KiB, and once spilled each copied page is a pwrite() — on the VMs we run on a syscall is
 * the dearest part of a write (28 read/write syscalls per stored message in bench:ep, against 9
 * with the journal in memory). `temp_store = MEMORY` keeps it (and SQLite's other temporary
 * data) in memory; it is dropped at each RELEASE, so it holds one unit's pages at most.
 *
 * Checkpoints: SQLite's automatic checkpoint would run inside a COMMIT on the event loop and
 * fsync there; a worker thread checkpoints instead (internal/wal-checkpoints.ts), and SQLite takes
 * over again if the worker cannot.
 *
 * WAL reset: SQLite starts writing the WAL from its beginning again only when a write
 * transaction begins while every frame is back in the database file. Under steady load a
 * commit always lands while the worker's checkpoint runs, so that moment never came and the WAL
 * grew without bound (468 MiB after 200 MB of messages, against a 207 MiB database). So once
 * the worker reports a WAL of WAL_RESET_FRAMES or more, the next group commit waits (the event
 * loop does not) until the worker has checkpointed with no writer in its way; that commit then
 * restarts the WAL, and `journal_size_limit` gives the file's extra length back to the disk.
 *
 * Concurrency: DatabaseSync is one synchronous connection. Each statement is atomic on its own,
 * but a unit spans awaits, and any statement issued meanwhile would run inside the batch. So one
 * FIFO mutex orders everything: a batch holds it from BEGIN IMMEDIATE to COMMIT/ROLLBACK, and
 * plain reads (`query`, `executeScript`) wait for it only while a batch is in flight (otherwise
 * they run at once; a `query` that is not a SELECT may write, so it joins the group commit). A
 * unit that awaits something slow delays its whole batch, as it delayed every other transaction
 * before. BEGIN IMMEDIATE takes the write lock up front, so another process on
 * the same file waits `busy_timeout` instead of failing with a lock upgrade deadlock. Open one
 * database per file per process: two connections in one thread would block each other's busy wait.
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { UnavailableError } from '@proof-messenger/errors';
import { mapSqliteError } from './driver-errors.ts';
import { AsyncMutex } from './internal/async-mutex.ts';
import { toSqlitePlaceholders } from './internal/placeholders.ts';
import {
  type CheckpointHandle,
  type CheckpointWorker,
  sharedCheckpointWorker,
} from './internal/wal-checkpoints.ts';
import { WalSync, type WalSyncFiles } from './internal/wal-sync.ts';
import type { SqlDatabase, SqlValue } from './sql-database.ts';

/** Options of `openSqliteDatabase`. */
export interface SqliteDatabaseOptions {
  /** How long a statement waits for another process's write lock, in ms (default 5000). */
  readonly busyTimeoutMs?: number;
}

/** Prepared statements kept per connection; dynamic multi-row SQL can grow it, so it is capped. */
const STATEMENT_CACHE_LIMIT = 256;

/** A statement that only reads (see `query`). */
const SELECT = /^\s*SELECT\b/i;

/** Most units one group commit carries (bounds the latency a batch adds to its first unit). */
const MAX_BATCH_UNITS = 256;

/** SQLite's own automatic checkpoint interval, in WAL pages: used when no worker checkpoints. */
const INLINE_CHECKPOINT_PAGES = 1000;

/** WAL frames (16 MiB of 4 KiB pages) from which the next commit waits for a full checkpoint. */
const WAL_RESET_FRAMES = 4096;

/** What a WAL file is cut back to when SQLite restarts it (see the module header). */
const WAL_SIZE_LIMIT_BYTES = 16 * 1024 * 1024;

/** Who checkpoints a database's WAL (see internal/wal-checkpoints.ts). */
export interface WalCheckpointState {
  /** 'worker': the checkpoint worker; 'inline': SQLite, inside the COMMITs on this thread. */
  readonly mode: 'worker' | 'inline';
  /** Checkpoints the worker has run that copied frames back into the database file. */
  readonly workerCheckpoints: number;
  /** WAL frames not yet copied back, as of the worker's last checkpoint. */
  readonly pendingFrames: number;
  /** Checkpoints that left the WAL fully backfilled so that the next commit restarted it. */
  readonly walResets: number;
  /** Why the worker is not (or no longer) checkpointing, if it is not. */
  readonly reason?: string;
}

/** One caller's work waiting for a group commit. */
interface Unit {
  readonly work: (tx: SqlDatabase) => Promise<unknown>;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

/** The DatabaseSync with its statement cache; runs statements synchronously. */
class SqliteConnection {
  readonly db: DatabaseSync;
  readonly #statements = new Map<string, StatementSync>();

  constructor(db: DatabaseSync) {
    this.db = db;
  }

  #prepare(sql: string): StatementSync {
    let statement = this.#statements.get(sql);
    if (statement === undefined) {
      if (this.#statements.size >= STATEMENT_CACHE_LIMIT) this.#statements.clear();
      statement = this.db.prepare(toSqlitePlaceholders(sql));
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  all<Row>(sql: string, params: readonly SqlValue[]): Row[] {
    try {
      return this.#prepare(sql).all(...params) as Row[];
    } catch (err) {
      throw mapSqliteError(err);
    }
  }

  run(sql: string, params: readonly SqlValue[]): number {
    try {
      return Number(this.#prepare(sql).run(...params).changes);
    } catch (err) {
      throw mapSqliteError(err);
    }
  }

  exec(sql: string): void {
    try {
      this.db.exec(sql);
    } catch (err) {
      throw mapSqliteError(err);
    }
  }

  /** A fixed statement without parameters (BEGIN, SAVEPOINT, …): prepared once, not reparsed. */
  control(sql: string): void {
    try {
      this.#prepare(sql).run();
    } catch (err) {
      throw mapSqliteError(err);
    }
  }

  /** Runs `work` between BEGIN/COMMIT (or a savepoint when `savepoint` is given). */
  async inTransaction<T>(savepoint: string | undefined, work: () => Promise<T>): Promise<T> {
    this.control(savepoint === undefined ? 'BEGIN IMMEDIATE' : `SAVEPOINT ${savepoint}`);
    let result: T;
    try {
      result = await work();
    } catch (err) {
      this.#rollback(savepoint);
      throw err;
    }
    try {
      this.control(savepoint === undefined ? 'COMMIT' : `RELEASE SAVEPOINT ${savepoint}`);
    } catch (err) {
      this.#rollback(savepoint);
      throw err;
    }
    return result;
  }

  #rollback(savepoint: string | undefined): void {
    if (!this.db.isTransaction) return;
    if (savepoint === undefined) this.db.exec('ROLLBACK');
    else this.db.exec(`ROLLBACK TO SAVEPOINT ${savepoint}; RELEASE SAVEPOINT ${savepoint}`);
  }
}

/** The handle `transaction` passes to its work: runs directly on the connection while open. */
class SqliteTransaction implements SqlDatabase {
  readonly dialect = 'sqlite';
  readonly #connection: SqliteConnection;
  readonly #depth: number;
  #open = true;

  constructor(connection: SqliteConnection, depth: number) {
    this.#connection = connection;
    this.#depth = depth;
  }

  #check(): SqliteConnection {
    if (!this.#open) throw new Error('the transaction is already finished');
    return this.#connection;
  }

  async query<Row extends object>(sql: string, params: readonly SqlValue[] = []): Promise<Row[]> {
    return this.#check().all<Row>(sql, params);
  }

  async execute(sql: string, params: readonly SqlValue[] = []): Promise<number> {
    return this.#check().run(sql, params);
  }

  async executeScript(sql: string): Promise<void> {
    this.#check().exec(sql);
  }

  async transaction<T>(work: (tx: SqlDatabase) => Promise<T>): Promise<T> {
    const nested = new SqliteTransaction(this.#check(), this.#depth + 1);
    try {
      return await this.#connection.inTransaction(`sp${this.#depth + 1}`, () => work(nested));
    } finally {
      nested.finish();
    }
  }

  finish(): void {
    this.#open = false;
  }

  async close(): Promise<void> {
    throw new Error('close the database, not a transaction');
  }
}

class SqliteDatabase implements SqlDatabase {
  readonly dialect = 'sqlite';
  readonly #connection: SqliteConnection;
  readonly #mutex = new AsyncMutex();
  /** Units waiting for the next group commit, in call order. */
  #queued: Unit[] = [];
  /** The scheduled or running flush of the queue; undefined when nothing is queued. */
  #flushing: Promise<void> | undefined;
  #closed = false;
  /** undefined for ':memory:' (nothing to make durable). */
  readonly #wal: WalSync | undefined;
  /** The worker's counters and, once it gave the checkpoints back, why (mode: see the getter). */
  #checkpoints: Omit<WalCheckpointState, 'mode'> = {
    workerCheckpoints: 0,
    pendingFrames: 0,
    walResets: 0,
  };
  /** The worker reported a WAL of WAL_RESET_FRAMES or more: reset it before the next batch. */
  #walResetDue = false;
  /**
   * The WAL's frames when a reset left it fully backfilled (0: none pending). Its restart shows
   * as a report below WAL_RESET_FRAMES; if another WAL_RESET_FRAMES come instead (a reader of
   * another process kept SQLite from restarting it), the reset is tried again.
   */
  #walResetLog = 0;
  /** The checkpoint worker's handle on this file, while it checkpoints it. */
  #checkpointHandle: CheckpointHandle | undefined;
  /** Settles once the worker took the checkpoints or SQLite has them again. */
  #checkpointsSettled: Promise<void> = Promise.resolve();
  /** A hand-over that has not started yet: start it now, or cancel it (close). */
  #pendingHandOver: { readonly now: () => void; readonly cancel: () => void } | undefined;

  constructor(connection: SqliteConnection, wal: WalSync | undefined) {
    this.#connection = connection;
    this.#wal = wal;
  }

  get walCheckpoints(): WalCheckpointState {
    // The worker checkpoints exactly while it holds a handle on this file.
    return {
      ...this.#checkpoints,
      mode: this.#checkpointHandle === undefined ? 'inline' : 'worker',
    };
  }

  /**
   * Hands the WAL's checkpoints to `worker` some seconds after opening (starting a worker isolate
   * while a service starts lengthened the platform's start by 150–340 ms on the reference
   * machine); until it has them, and whenever it cannot take them or gives them up later, SQLite
   * checkpoints inline (the WAL must not grow without bound).
   */
  checkpointIn(worker: CheckpointWorker, path: string): void {
    this.#checkpointsSettled = new Promise<void>((settled) => {
      const handOver = () => {
        clearTimeout(timer);
        this.#pendingHandOver = undefined;
        this.#handOver(worker, path).then(settled);
      };
      // unref: a pending hand-over never keeps a process alive.
      const timer = setTimeout(handOver, worker.handOverDelayMs).unref();
      const cancel = () => {
        clearTimeout(timer);
        this.#pendingHandOver = undefined;
        settled();
      };
      this.#pendingHandOver = { now: handOver, cancel };
    });
  }

  async #handOver(worker: CheckpointWorker, path: string): Promise<void> {
    if (this.#closed) return;
    const inline = (reason: string) => {
      this.#checkpoints = { ...this.#checkpoints, reason };
      this.#checkpointHandle = undefined;
      if (this.#closed) return;
      this.#connection.exec(`PRAGMA wal_autocheckpoint = ${INLINE_CHECKPOINT_PAGES}`);
      process.emitWarning(`${path}: WAL checkpoints run inline again: ${reason}`, {
        code: 'PM_SQLITE_CHECKPOINTS_INLINE',
      });
    };
    try {
      this.#checkpointHandle = await worker.add(path, {
        failed: inline,
        checkpointed: (log, backfilled) => {
          this.#checkpoints = {
            ...this.#checkpoints,
            workerCheckpoints: this.#checkpoints.workerCheckpoints + 1,
            pendingFrames: log - backfilled,
          };
          if (log < WAL_RESET_FRAMES || log >= this.#walResetLog + WAL_RESET_FRAMES) {
            this.#walResetLog = 0;
          }
          if (log >= WAL_RESET_FRAMES && this.#walResetLog === 0) this.#walResetDue = true;
        },
      });
      // The worker has them now: SQLite's own checkpoints inside COMMITs stop.
      if (!this.#closed) this.#connection.exec('PRAGMA wal_autocheckpoint = 0');
    } catch (err) {
      inline(err instanceof Error ? err.message : String(err));
    }
  }

  /**
   * A checkpoint by the worker now (after every commit so far), handing the checkpoints over
   * first if that is still pending; inline mode: a no-op.
   */
  async checkpointNow(): Promise<void> {
    this.#pendingHandOver?.now();
    await this.#checkpointsSettled;
    await this.#checkpointHandle?.checkpointNow();
  }

  /**
   * Lets the worker checkpoint while no commit is in flight (the caller holds the next batch
   * back), so that every frame is backfilled and the next commit restarts the WAL. A reader of
   * another process can still keep a frame from being backfilled: then the next report tries
   * again.
   */
  async #resetWal(): Promise<void> {
    this.#walResetDue = false;
    const handle = this.#checkpointHandle;
    if (handle === undefined) return;
    try {
      const { log, backfilled } = await handle.checkpointNow();
      if (log > 0 && backfilled === log) {
        // The next commit restarts the WAL; until a report shows it, do not ask again (this
        // checkpoint's own report, just received, asked already).
        this.#walResetLog = log;
        this.#walResetDue = false;
        this.#checkpoints = { ...this.#checkpoints, walResets: this.#checkpoints.walResets + 1 };
      }
    } catch {
      // The worker tells its failures through `failed` (SQLite checkpoints inline then).
    }
  }

  /** Resolves once every commit made so far is durable. */
  #durableNow(): Promise<void> {
    return this.#wal === undefined ? Promise.resolve() : this.#wal.durable(this.#wal.latest);
  }

  /** Records a commit that just returned and resolves once it is durable. */
  #committed(): Promise<void> {
    return this.#wal === undefined ? Promise.resolve() : this.#wal.durable(this.#wal.committed());
  }

  /** Runs a synchronous step when no batch is in flight, else after it. */
  async #exclusive<T>(step: () => T): Promise<T> {
    if (this.#closed) throw new UnavailableError('the database is closed');
    if (this.#wal?.failure !== undefined) throw this.#wal.failure;
    if (!this.#mutex.locked) return step();
    const release = await this.#mutex.acquire();
    try {
      if (this.#closed) throw new UnavailableError('the database is closed');
      return step();
    } finally {
      release();
    }
  }

  async query<Row extends object>(sql: string, params: readonly SqlValue[] = []): Promise<Row[]> {
    // Only a SELECT cannot write; anything else (INSERT … RETURNING, WITH …) may, so it is
    // committed (and synced) like any other write.
    if (!SELECT.test(sql)) return this.transaction((tx) => tx.query<Row>(sql, params));
    const rows = await this.#exclusive(() => this.#connection.all<Row>(sql, params));
    await this.#durableNow();
    return rows;
  }

  /** A write: joins the next group commit like a one-statement transaction. */
  execute(sql: string, params: readonly SqlValue[] = []): Promise<number> {
    return this.transaction((tx) => tx.execute(sql, params));
  }

  async executeScript(sql: string): Promise<void> {
    // A script may write in autocommit mode: it counts as a commit.
    await this.#exclusive(() => this.#connection.exec(sql));
    await this.#committed();
  }

  transaction<T>(work: (tx: SqlDatabase) => Promise<T>): Promise<T> {
    if (this.#closed) return Promise.reject(new UnavailableError('the database is closed'));
    if (this.#wal?.failure !== undefined) return Promise.reject(this.#wal.failure);
    return new Promise<T>((resolve, reject) => {
      this.#queued.push({ work, resolve: resolve as (value: unknown) => void, reject });
      this.#flushing ??= this.#flush();
    });
  }

  /** Runs queued units in group commits until none is left; never rejects. */
  async #flush(): Promise<void> {
    try {
      // Let the event loop deliver what else is arriving, so it joins the first batch. Units
      // queued while a batch ran go straight into the next one.
      await new Promise<void>((resolve) => setImmediate(resolve));
      while (this.#queued.length > 0) {
        if (this.#walResetDue) await this.#resetWal();
        const batch = this.#queued.splice(0, MAX_BATCH_UNITS);
        const release = await this.#mutex.acquire();
        let synced: Promise<void> | undefined;
        try {
          synced = (await this.#commitBatch(batch))?.synced;
        } finally {
          release();
        }
        // The next batch commits once this one is synced: its callers could not be answered
        // sooner anyway (the next sync starts only then), and what arrives meanwhile joins it,
        // so there are fewer, larger commits. Reads go on meanwhile (the mutex is free).
        await synced?.catch(() => undefined);
      }
    } finally {
      this.#flushing = undefined;
    }
  }

  /**
   * One transaction for `batch`: a savepoint per unit, one COMMIT, then the answers once it is
   * synced. Returns that sync, wrapped so that awaiting the batch does not await the sync
   * (undefined when nothing was committed).
   */
  async #commitBatch(batch: Unit[]): Promise<{ synced: Promise<void> } | undefined> {
    const connection = this.#connection;
    if (this.#closed) {
      for (const unit of batch) unit.reject(new UnavailableError('the database is closed'));
      return;
    }
    try {
      connection.control('BEGIN IMMEDIATE');
    } catch (err) {
      for (const unit of batch) unit.reject(err);
      return;
    }
    const done: Array<{ unit: Unit; value: unknown }> = [];
    for (const [index, unit] of batch.entries()) {
      const tx = new SqliteTransaction(connection, 0);
      let outcome: { ok: true; value: unknown } | { ok: false; error: unknown };
      try {
        outcome = {
          ok: true,
          value: await connection.inTransaction('pm_unit', () => unit.work(tx)),
        };
      } catch (error) {
        outcome = { ok: false, error };
      } finally {
        tx.finish();
      }
      if (!connection.db.isTransaction) {
        // SQLite aborted the whole transaction (I/O error, disk full, …): the earlier units'
        // writes are gone too, and nobody was answered yet.
        const error = outcome.ok
          ? new UnavailableError('the database aborted the transaction')
          : outcome.error;
        for (const earlier of done) earlier.unit.reject(error);
        for (const later of batch.slice(index)) later.reject(error);
        return;
      }
      if (outcome.ok) done.push({ unit, value: outcome.value });
      else unit.reject(outcome.error); // rolled back to its savepoint: nothing of it will commit
    }
    try {
      connection.control('COMMIT');
    } catch (err) {
      if (connection.db.isTransaction) connection.db.exec('ROLLBACK');
      for (const { unit } of done) unit.reject(err);
      return;
    }
    // Answered once synced; the event loop goes on meanwhile.
    const synced = this.#committed();
    synced.then(
      () => {
        for (const { unit, value } of done) unit.resolve(value);
      },
      (err: unknown) => {
        for (const { unit } of done) unit.reject(err);
      },
    );
    return { synced };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    // Queued units run first: they were issued before close.
    while (this.#flushing !== undefined) await this.#flushing;
    const release = await this.#mutex.acquire();
    try {
      if (this.#closed) return;
      this.#closed = true;
      // The worker's connection goes first, so that this one, the last, checkpoints what is
      // left and removes the WAL.
      this.#pendingHandOver?.cancel();
      await this.#checkpointsSettled;
      await this.#checkpointHandle?.stop();
      // Answers of the last batches wait for their sync; the descriptor goes after it.
      await this.#wal?.close();
      this.#connection.db.close();
    } finally {
      release();
    }
  }
}

/**
 * Opens (creating it and its directory if missing) the SQLite database at `path`, or an
 * in-memory one for `':memory:'`.
 */
export function openSqliteDatabase(
  path: string,
  options: SqliteDatabaseOptions = {},
): Promise<SqlDatabase> {
  return openSqliteDatabaseWith(path, options, undefined);
}

/**
 * `openSqliteDatabase` with the WAL sync's file operations or the checkpoint worker replaced
 * (tests; internal).
 */
export async function openSqliteDatabaseWith(
  path: string,
  options: SqliteDatabaseOptions,
  walFiles: WalSyncFiles | undefined,
  checkpoints: CheckpointWorker = sharedCheckpointWorker,
): Promise<SqlDatabase> {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const busyTimeoutMs = options.busyTimeoutMs ?? 5000;
  if (!Number.isInteger(busyTimeoutMs) || busyTimeoutMs < 0) {
    throw new RangeError(`busyTimeoutMs must be a non-negative integer, got ${busyTimeoutMs}`);
  }
  const db = new DatabaseSync(path, { timeout: busyTimeoutMs, readBigInts: false });
  try {
    db.exec(`PRAGMA journal_mode = WAL;
      PRAGMA synchronous = NORMAL;
      PRAGMA temp_store = MEMORY;
      PRAGMA journal_size_limit = ${WAL_SIZE_LIMIT_BYTES};
      PRAGMA foreign_keys = ON;
      PRAGMA busy_timeout = ${busyTimeoutMs};`);
  } catch (err) {
    db.close();
    throw mapSqliteError(err);
  }
  if (path === ':memory:') return new SqliteDatabase(new SqliteConnection(db), undefined);
  const database = new SqliteDatabase(new SqliteConnection(db), new WalSync(path, walFiles));
  database.checkpointIn(checkpoints, resolve(path));
  return database;
}

/**
 * Asks `db`'s checkpoint worker for a checkpoint now, once the worker took the database or gave
 * it back (internal: tests).
 */
export function walCheckpointNow(db: SqlDatabase): Promise<void> {
  return db instanceof SqliteDatabase ? db.checkpointNow() : Promise.resolve();
}

/** Who checkpoints `db`'s WAL; undefined for a database that is not a file-backed SQLite one. */
export function walCheckpointState(db: SqlDatabase): WalCheckpointState | undefined {
  return db instanceof SqliteDatabase ? db.walCheckpoints : undefined;
}
