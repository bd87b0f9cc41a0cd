/**
 * PrekeyStore on SqlDatabase. Statements are stored and returned as the exact bytes uploaded.
 *
 * `takeOneTimePrekey` is a single DELETE … RETURNING of the agent's oldest prekey. On PostgreSQL
 * the row is chosen with `FOR UPDATE SKIP LOCKED`, so concurrent takers on any instance each lock
 * a different row instead of queueing on (or both reading) the same one; on SQLite the statement
 * runs alone on the serialized connection. Either way a prekey is handed out at most once.
 * Caveat of SKIP LOCKED: a taker can see "none left" while the last rows are locked by takers
 * that then roll back; ours never roll back after the DELETE, so this does not happen here.
 */
import { type SqlDatabase, valuesList } from '@proof-messenger/storage';
import type { OneTimePrekey, PrekeyStore } from '../ports/prekey-store.ts';
import { claimRows } from './internal/sql-fragments.ts';

/** Rows per INSERT: far below both drivers' parameter limits (SQLite 32766, PostgreSQL 65535). */
const INSERT_BATCH = 500;

/** See the module comment. */
export class SqlPrekeyStore implements PrekeyStore {
  readonly #db: SqlDatabase;

  constructor(db: SqlDatabase) {
    this.#db = db;
  }

  async putSignedPrekey(
    agentId: string,
    keyId: string,
    statement: Uint8Array,
    atMs: number,
  ): Promise<void> {
    await this.#db.execute(
      `INSERT INTO signed_prekeys (agent_id, key_id, statement, updated_at_ms) VALUES ($1, $2, $3, $4)
        ON CONFLICT (agent_id) DO UPDATE SET key_id = excluded.key_id,
          statement = excluded.statement, updated_at_ms = excluded.updated_at_ms`,
      [agentId, keyId, statement, atMs],
    );
  }

  async getSignedPrekey(agentId: string): Promise<Uint8Array | undefined> {
    const [row] = await this.#db.query<{ statement: Uint8Array }>(
      'SELECT statement FROM signed_prekeys WHERE agent_id = $1',
      [agentId],
    );
    return row?.statement;
  }

  async addOneTimePrekeys(agentId: string, prekeys: readonly OneTimePrekey[]): Promise<number> {
    return this.#db.transaction(async (tx) => {
      for (let start = 0; start < prekeys.length; start += INSERT_BATCH) {
        const batch = prekeys.slice(start, start + INSERT_BATCH);
        await tx.execute(
          `INSERT INTO one_time_prekeys (agent_id, key_id, statement)
            VALUES ${valuesList(batch.length, 3)}
            ON CONFLICT (agent_id, key_id) DO NOTHING`,
          batch.flatMap((prekey) => [agentId, prekey.keyId, prekey.statement]),
        );
      }
      return countIn(tx, agentId);
    });
  }

  async takeOneTimePrekey(agentId: string): Promise<OneTimePrekey | undefined> {
    const [row] = await this.#db.query<{ key_id: string; statement: Uint8Array }>(
      `DELETE FROM one_time_prekeys WHERE id = (
          SELECT id FROM one_time_prekeys WHERE agent_id = $1 ORDER BY id LIMIT 1${claimRows(this.#db)}
        ) RETURNING key_id, statement`,
      [agentId],
    );
    return row === undefined ? undefined : { keyId: row.key_id, statement: row.statement };
  }

  countOneTimePrekeys(agentId: string): Promise<number> {
    return countIn(this.#db, agentId);
  }

  async deleteAll(agentId: string): Promise<void> {
    await this.#db.transaction(async (tx) => {
      await tx.execute('DELETE FROM one_time_prekeys WHERE agent_id = $1', [agentId]);
      await tx.execute('DELETE FROM signed_prekeys WHERE agent_id = $1', [agentId]);
    });
  }
}

async function countIn(db: SqlDatabase, agentId: string): Promise<number> {
  const [row] = await db.query<{ n: number }>(
    'SELECT COUNT(*) AS n FROM one_time_prekeys WHERE agent_id = $1',
    [agentId],
  );
  return row?.n ?? 0;
}
