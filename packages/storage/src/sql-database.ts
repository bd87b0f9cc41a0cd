/**
 * The one SQL interface the stores are written against, so each store exists once and runs on
 * node:sqlite in the embedded mode and on PostgreSQL in the distributed mode. SQL is written once
 * with PostgreSQL's `$1, $2, …` placeholders; the SQLite driver rewrites them to `?1, ?2, …`.
 * Where the two dialects differ (DDL types, row locking), stores branch on `dialect`.
 *
 * Values are limited to what both drivers carry without loss: text, numbers (integers up to
 * 2^53; BIGINT columns come back as `number`), bigint (bound only), bytes (`Uint8Array`, never a
 * Buffer in results) and null.
 */

/** Which SQL dialect a database speaks. */
export type SqlDialect = 'sqlite' | 'postgres';

/** A value bound to a placeholder. */
export type SqlValue = string | number | bigint | Uint8Array | null;

/** A result row as the driver returns it, before a store maps it to a record. */
export type SqlRow = Record<string, unknown>;

/**
 * A database connection (SQLite) or pool (PostgreSQL). Every method may reject with
 * `UnavailableError` when the database cannot be reached (retryable); other driver errors are
 * passed through so `isUniqueViolation` can recognise them.
 */
export interface SqlDatabase {
  readonly dialect: SqlDialect;
  /**
   * Runs one statement and returns its rows (use `RETURNING` to get rows from a write). `Row` is
   * the caller's statement of the row shape; it is not checked.
   */
  query<Row extends object = SqlRow>(sql: string, params?: readonly SqlValue[]): Promise<Row[]>;
  /** Runs one statement and returns how many rows it inserted, updated or deleted. */
  execute(sql: string, params?: readonly SqlValue[]): Promise<number>;
  /** Runs several `;`-separated statements without parameters (DDL in migrations). */
  executeScript(sql: string): Promise<void>;
  /**
   * Runs `work` in one transaction: committed when it resolves, rolled back when it rejects (and
   * the rejection is passed on). Use only `tx` inside `work`. Called on a transaction handle it
   * opens a savepoint, so a nested failure undoes only the nested part.
   */
  transaction<T>(work: (tx: SqlDatabase) => Promise<T>): Promise<T>;
  /** Closes the connection or pool; waits for statements in flight. */
  close(): Promise<void>;
}
