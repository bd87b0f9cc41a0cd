/**
 * Forward-only schema migrations for SqlDatabase. Each migration carries its DDL for both
 * dialects and is applied at most once, in its own transaction together with its row in
 * `schema_migrations`, so a crash leaves it either fully applied or not at all (both SQLite and
 * PostgreSQL have transactional DDL).
 *
 * Several instances may start at once: on PostgreSQL every migration transaction first takes a
 * transaction-scoped advisory lock keyed by the current schema, so one instance applies it and the
 * others then see it recorded; on SQLite BEGIN IMMEDIATE already serializes writers. Rows for ids
 * this code does not know are left alone, so an older instance can still start after a newer one
 * migrated (migrations must therefore stay backward compatible for one release).
 */
import type { SqlDatabase } from './sql-database.ts';

/** One schema change, written for both dialects. */
export interface Migration {
  /** Unique and stable forever, e.g. `0001-identities`; applied in array order. */
  readonly id: string;
  readonly sqlite: string;
  readonly postgres: string;
}

const CREATE_TABLE = `CREATE TABLE IF NOT EXISTS schema_migrations (
  id TEXT PRIMARY KEY,
  applied_at_ms BIGINT NOT NULL
)`;

/** Advisory lock key: per schema, so isolated schemas in one database do not wait on each other. */
const LOCK = `SELECT pg_advisory_xact_lock(
  hashtext('proof-messenger/schema_migrations/' || COALESCE(current_schema(), '')))`;

/**
 * Applies every migration not yet recorded, in order; returns the ids applied by this call.
 * @throws RangeError when two migrations share an id
 */
export async function migrate(
  db: SqlDatabase,
  migrations: readonly Migration[],
): Promise<string[]> {
  const ids = new Set<string>();
  for (const { id } of migrations) {
    if (ids.has(id)) throw new RangeError(`migration id "${id}" appears twice`);
    ids.add(id);
  }
  const applied: string[] = [];
  for (const migration of migrations) {
    const done = await db.transaction(async (tx) => {
      if (tx.dialect === 'postgres') await tx.query(LOCK);
      await tx.execute(CREATE_TABLE);
      const seen = await tx.query('SELECT id FROM schema_migrations WHERE id = $1', [migration.id]);
      if (seen.length > 0) return false;
      await tx.executeScript(migration[tx.dialect]);
      await tx.execute('INSERT INTO schema_migrations (id, applied_at_ms) VALUES ($1, $2)', [
        migration.id,
        Date.now(),
      ]);
      return true;
    });
    if (done) applied.push(migration.id);
  }
  return applied;
}
