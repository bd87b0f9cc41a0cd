/**
 * The distributed SqlDatabase: PostgreSQL through a `pg` Pool.
 *
 * - Results: BYTEA comes back as a fresh `Uint8Array` (not a Buffer that may view pg's shared
 *   pool memory) and BIGINT (int8, also what COUNT returns) as a `number`; the values stored here
 *   are millisecond timestamps and counts, far below 2^53, and a larger one fails loudly.
 * - `schema`: created if missing and set as every connection's `search_path` through the startup
 *   `options`, so it holds from the first statement of every pooled connection. This is how each
 *   test suite gets an isolated schema in one shared database, and how an operator can host
 *   several deployments in one database.
 * - Transactions run on one dedicated client between BEGIN and COMMIT/ROLLBACK at READ COMMITTED;
 *   stores that need more take row locks (FOR UPDATE [SKIP LOCKED]) explicitly.
 */
import { UnavailableError } from '@proof-messenger/errors';
import pg from 'pg';
import { mapPostgresError } from './driver-errors.ts';
import type { SqlDatabase, SqlValue } from './sql-database.ts';

/** Options of `openPostgresDatabase`. */
export interface PostgresDatabaseOptions {
  /** e.g. `postgres://user@host:5432/db`. */
  readonly connectionString: string;
  /** Schema to create (if missing) and use; lower-case letters, digits and `_`. */
  readonly schema?: string;
  /** Most connections the pool opens (default 10). */
  readonly max?: number;
  /** How long to wait for a connection before failing with UnavailableError (default 5000 ms). */
  readonly connectTimeoutMs?: number;
  /** Told about errors of idle pooled connections (the pool replaces them); ignored by default. */
  readonly onIdleError?: (err: Error) => void;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;
const INT8_OID = 20;
const BYTEA_OID = 17;
/** SQLSTATEs a concurrent `CREATE SCHEMA IF NOT EXISTS` can still raise. */
const SCHEMA_RACE_CODES = new Set(['23505', '42P06']);

function typeParsers(): pg.TypeOverrides {
  const types = new pg.TypeOverrides();
  const parseBytea = pg.types.getTypeParser(BYTEA_OID, 'text');
  types.setTypeParser(BYTEA_OID, (text: string) => new Uint8Array(parseBytea(text)));
  types.setTypeParser(INT8_OID, (text: string) => {
    const value = Number(text);
    if (!Number.isSafeInteger(value)) throw new RangeError(`int8 value ${text} exceeds 2^53`);
    return value;
  });
  return types;
}

type Queryable = pg.Pool | pg.PoolClient;

async function run(target: Queryable, sql: string, params: readonly SqlValue[]) {
  try {
    return await target.query({ text: sql, values: [...params] });
  } catch (err) {
    throw mapPostgresError(err);
  }
}

async function inTransaction<T>(
  client: pg.PoolClient,
  savepoint: string | undefined,
  work: () => Promise<T>,
): Promise<T> {
  await run(client, savepoint === undefined ? 'BEGIN' : `SAVEPOINT ${savepoint}`, []);
  let result: T;
  try {
    result = await work();
  } catch (err) {
    // After a lost connection the rollback fails too; the original error is the one to report.
    const undo =
      savepoint === undefined
        ? 'ROLLBACK'
        : `ROLLBACK TO SAVEPOINT ${savepoint}; RELEASE SAVEPOINT ${savepoint}`;
    await run(client, undo, []).catch(() => undefined);
    throw err;
  }
  await run(client, savepoint === undefined ? 'COMMIT' : `RELEASE SAVEPOINT ${savepoint}`, []);
  return result;
}

/** The handle `transaction` passes to its work: every statement on the transaction's client. */
class PostgresTransaction implements SqlDatabase {
  readonly dialect = 'postgres';
  readonly #client: pg.PoolClient;
  readonly #depth: number;
  #open = true;

  constructor(client: pg.PoolClient, depth: number) {
    this.#client = client;
    this.#depth = depth;
  }

  #check(): pg.PoolClient {
    if (!this.#open) throw new Error('the transaction is already finished');
    return this.#client;
  }

  async query<Row extends object>(sql: string, params: readonly SqlValue[] = []): Promise<Row[]> {
    return (await run(this.#check(), sql, params)).rows as Row[];
  }

  async execute(sql: string, params: readonly SqlValue[] = []): Promise<number> {
    return (await run(this.#check(), sql, params)).rowCount ?? 0;
  }

  async executeScript(sql: string): Promise<void> {
    await run(this.#check(), sql, []);
  }

  async transaction<T>(work: (tx: SqlDatabase) => Promise<T>): Promise<T> {
    const nested = new PostgresTransaction(this.#check(), this.#depth + 1);
    try {
      return await inTransaction(this.#client, `sp${this.#depth + 1}`, () => work(nested));
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

class PostgresDatabase implements SqlDatabase {
  readonly dialect = 'postgres';
  readonly #pool: pg.Pool;
  #closing: Promise<void> | undefined;

  constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  async query<Row extends object>(sql: string, params: readonly SqlValue[] = []): Promise<Row[]> {
    return (await run(this.#pool, sql, params)).rows as Row[];
  }

  async execute(sql: string, params: readonly SqlValue[] = []): Promise<number> {
    return (await run(this.#pool, sql, params)).rowCount ?? 0;
  }

  async executeScript(sql: string): Promise<void> {
    await run(this.#pool, sql, []);
  }

  async transaction<T>(work: (tx: SqlDatabase) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.#pool.connect();
    } catch (err) {
      throw mapPostgresError(err);
    }
    const tx = new PostgresTransaction(client, 0);
    let broken: Error | undefined;
    // A connection lost between statements is reported as an `error` event on the checked-out
    // client (nobody listens while it is out of the pool); the next statement then fails.
    const onError = (err: Error) => {
      broken = err;
    };
    client.on('error', onError);
    try {
      return await inTransaction(client, undefined, () => work(tx));
    } catch (err) {
      // A client whose connection may have failed must not go back to the pool; for the rarer
      // retryable aborts (deadlock, serialization) dropping one connection is cheap.
      if (err instanceof UnavailableError) broken ??= err;
      throw err;
    } finally {
      tx.finish();
      client.off('error', onError);
      client.release(broken);
    }
  }

  close(): Promise<void> {
    this.#closing ??= this.#pool.end();
    return this.#closing;
  }
}

async function ensureSchema(config: pg.ClientConfig, schema: string): Promise<void> {
  const client = new pg.Client(config);
  try {
    await client.connect();
    await client.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
  } catch (err) {
    const code = err instanceof Error ? Reflect.get(err, 'code') : undefined;
    if (typeof code !== 'string' || !SCHEMA_RACE_CODES.has(code)) throw mapPostgresError(err);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Opens a pool on PostgreSQL (creating `schema` first when given). Connections are made lazily,
 * so an unreachable server shows as UnavailableError on the first statement.
 */
export async function openPostgresDatabase(options: PostgresDatabaseOptions): Promise<SqlDatabase> {
  const { connectionString, schema } = options;
  if (schema !== undefined && !SCHEMA_NAME.test(schema)) {
    throw new RangeError(
      `schema must match ${SCHEMA_NAME} (lower-case letters, digits, _), got "${schema}"`,
    );
  }
  const config: pg.PoolConfig = {
    connectionString,
    max: options.max ?? 10,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5000,
    types: typeParsers(),
    ...(schema === undefined ? {} : { options: `-c search_path=${schema}` }),
  };
  if (schema !== undefined) await ensureSchema(config, schema);
  const pool = new pg.Pool(config);
  // Without a listener an idle client's error (server restart) would crash the process.
  pool.on('error', options.onIdleError ?? (() => undefined));
  return new PostgresDatabase(pool);
}
