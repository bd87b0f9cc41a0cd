/**
 * Small SQL pieces where the dialects differ. SQLite has no row locks (its transactions already
 * hold the database's single write lock from BEGIN IMMEDIATE), so the locking clauses are empty
 * there; on PostgreSQL they are what turns READ COMMITTED reads into safe read-modify-writes.
 */
import type { SqlDatabase } from '@proof-messenger/storage';

/**
 * `FOR NO KEY UPDATE` on PostgreSQL: serializes writers of the row while still letting foreign
 * key checks (KEY SHARE) of inserts that reference it through, so it cannot deadlock with them.
 */
export function lockRow(db: SqlDatabase): string {
  return db.dialect === 'postgres' ? ' FOR NO KEY UPDATE' : '';
}

/** `FOR UPDATE [OF table] SKIP LOCKED` on PostgreSQL: concurrent claimers take disjoint rows. */
export function claimRows(db: SqlDatabase, table?: string): string {
  if (db.dialect !== 'postgres') return '';
  return table === undefined ? ' FOR UPDATE SKIP LOCKED' : ` FOR UPDATE OF ${table} SKIP LOCKED`;
}
