/**
 * The embedded SqlDatabase: node:sqlite (SQLite 3.5x, bundled with Node) on one file.
 *
 * Durability: WAL with `synchronous=FULL`, so a committed transaction survives power loss, not
 * just a process crash (the platform promises that nothing acknowledged is lost).
 *
 * Concurrency: DatabaseSync is one synchronous connection. Each statement is atomic on its own,
 * but a transaction spans awaits, and any statement issued meanwhile would run inside it. So one
 * FIFO mutex orders everything: a transaction holds it from BEGIN IMMEDIATE to COMMIT/ROLLBACK,
 * and plain statements wait for it only while a transaction is in flight (otherwise they run at
 * once). BEGIN IMMEDIATE takes the write lock up front, so another process on the same file waits
 * `busy_timeout` instead of failing with a lock upgrade deadlock. Open one database per file per
 * process: two connections in one thread would block each other's busy wait.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { UnavailableError } from '@proof-messenger/errors';
import { mapSqliteError } from './driver-errors.ts';
import { AsyncMutex } from './internal/async-mutex.ts';
import { toSqlitePlaceholders } from './internal/placeholders.ts';
import type { SqlDatabase, SqlValue } from './sql-database.ts';

/** Options of `openSqliteDatabase`. */
export interface SqliteDatabaseOptions {
  /** How long a statement waits for another process's write lock, in ms (default 5000). */
  readonly busyTimeoutMs?: number;
}

/** Prepared statements kept per connection; dynamic multi-row SQL can grow it, so it is capped. */
const STATEMENT_CACHE_LIMIT = 256;

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

  /** Runs `work` between BEGIN/COMMIT (or a savepoint when `savepoint` is given). */
  async inTransaction<T>(savepoint: string | undefined, work: () => Promise<T>): Promise<T> {
    this.exec(savepoint === undefined ? 'BEGIN IMMEDIATE' : `SAVEPOINT ${savepoint}`);
    let result: T;
    try {
      result = await work();
    } catch (err) {
      this.#rollback(savepoint);
      throw err;
    }
    try {
      this.exec(savepoint === undefined ? 'COMMIT' : `RELEASE SAVEPOINT ${savepoint}`);
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
  #closed = false;

  constructor(connection: SqliteConnection) {
    this.#connection = connection;
  }

  /** Runs a synchronous step when no transaction is in flight, else after it. */
  async #exclusive<T>(step: () => T): Promise<T> {
    if (this.#closed) throw new UnavailableError('the database is closed');
    if (!this.#mutex.locked) return step();
    const release = await this.#mutex.acquire();
    try {
      if (this.#closed) throw new UnavailableError('the database is closed');
      return step();
    } finally {
      release();
    }
  }

  query<Row extends object>(sql: string, params: readonly SqlValue[] = []): Promise<Row[]> {
    return this.#exclusive(() => this.#connection.all<Row>(sql, params));
  }

  execute(sql: string, params: readonly SqlValue[] = []): Promise<number> {
    return this.#exclusive(() => this.#connection.run(sql, params));
  }

  executeScript(sql: string): Promise<void> {
    return this.#exclusive(() => this.#connection.exec(sql));
  }

  async transaction<T>(work: (tx: SqlDatabase) => Promise<T>): Promise<T> {
    if (this.#closed) throw new UnavailableError('the database is closed');
    const release = await this.#mutex.acquire();
    const tx = new SqliteTransaction(this.#connection, 0);
    try {
      if (this.#closed) throw new UnavailableError('the database is closed');
      return await this.#connection.inTransaction(undefined, () => work(tx));
    } finally {
      tx.finish();
      release();
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    const release = await this.#mutex.acquire();
    try {
      if (this.#closed) return;
      this.#closed = true;
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
export async function openSqliteDatabase(
  path: string,
  options: SqliteDatabaseOptions = {},
): Promise<SqlDatabase> {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const busyTimeoutMs = options.busyTimeoutMs ?? 5000;
  if (!Number.isInteger(busyTimeoutMs) || busyTimeoutMs < 0) {
    throw new RangeError(`busyTimeoutMs must be a non-negative integer, got ${busyTimeoutMs}`);
  }
  const db = new DatabaseSync(path, { timeout: busyTimeoutMs, readBigInts: false });
  try {
    db.exec(`PRAGMA journal_mode = WAL;
      PRAGMA synchronous = FULL;
      PRAGMA foreign_keys = ON;
      PRAGMA busy_timeout = ${busyTimeoutMs};`);
  } catch (err) {
    db.close();
    throw mapSqliteError(err);
  }
  return new SqliteDatabase(new SqliteConnection(db));
}
