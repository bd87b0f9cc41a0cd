/**
 * NonceStore on SqlDatabase for the embedded mode (node:sqlite). Written against SqlDatabase like
 * the other stores, so it also runs on PostgreSQL (the contract tests run it there too), but the
 * distributed mode uses `RedisNonceStore`.
 *
 * `remember` is one upsert that inserts the nonce, or takes over a row whose lifetime has ended,
 * and otherwise changes nothing: one changed row means "new", none means "replay". Both databases
 * apply it atomically, so of concurrent callers with the same nonce exactly one gets true.
 * Expired rows are deleted at most once per `pruneIntervalMs` of the callers' clock, by whichever
 * call comes due, so the table stays about as large as the nonces alive in one interval.
 */
import type { SqlDatabase } from '@proof-messenger/storage';
import type { NonceStore } from '../ports/nonce-store.ts';

/** Options of `SqliteNonceStore`. */
export interface SqliteNonceStoreOptions {
  /** Least time between two deletions of expired nonces (default 60 000 ms). */
  readonly pruneIntervalMs?: number;
}

/** See the module comment. */
export class SqliteNonceStore implements NonceStore {
  readonly #db: SqlDatabase;
  readonly #pruneIntervalMs: number;
  #nextPruneAtMs = Number.NEGATIVE_INFINITY;

  constructor(db: SqlDatabase, options: SqliteNonceStoreOptions = {}) {
    this.#db = db;
    this.#pruneIntervalMs = options.pruneIntervalMs ?? 60_000;
  }

  /** @throws RangeError when ttlMs is not a positive number */
  async remember(nonce: string, ttlMs: number, nowMs: number): Promise<boolean> {
    if (!Number.isFinite(ttlMs) || ttlMs <= 0) {
      throw new RangeError(`ttlMs must be a positive number, got ${ttlMs}`);
    }
    if (nowMs >= this.#nextPruneAtMs) {
      this.#nextPruneAtMs = nowMs + this.#pruneIntervalMs;
      await this.#db.execute('DELETE FROM nonces WHERE expires_at_ms <= $1', [nowMs]);
    }
    const changed = await this.#db.execute(
      `INSERT INTO nonces (nonce, expires_at_ms) VALUES ($1, $2)
        ON CONFLICT (nonce) DO UPDATE SET expires_at_ms = excluded.expires_at_ms
          WHERE nonces.expires_at_ms <= $3`,
      [nonce, Math.ceil(nowMs + ttlMs), nowMs],
    );
    return changed === 1;
  }
}
