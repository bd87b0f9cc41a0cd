/**
 * The key-management storage adapters. One SQL implementation per port runs on node:sqlite
 * (embedded) and on PostgreSQL (distributed); Redis adds the identity cache and nonces in the
 * distributed mode. Run `migrate(db, keyManagementMigrations)` before using the stores.
 */
import type { SqlDatabase } from '@proof-messenger/storage';
import type { EnrollmentStore } from '../ports/enrollment-store.ts';
import type { IdentityStore } from '../ports/identity-store.ts';
import type { PrekeyStore } from '../ports/prekey-store.ts';
import type { SessionKeyStore } from '../ports/session-key-store.ts';
import { SqlEnrollmentStore } from './sql-enrollment-store.ts';
import { SqlIdentityStore } from './sql-identity-store.ts';
import { SqlPrekeyStore } from './sql-prekey-store.ts';
import { SqlSessionKeyStore } from './sql-session-key-store.ts';

export { keyManagementMigrations } from './key-management-migrations.ts';
export type { CachedIdentityStoreOptions } from './redis-identity-cache.ts';
export { CachedIdentityStore } from './redis-identity-cache.ts';
export type { RedisNonceStoreOptions } from './redis-nonce-store.ts';
export { RedisNonceStore } from './redis-nonce-store.ts';
export { SqlEnrollmentStore } from './sql-enrollment-store.ts';
export { SqlIdentityStore } from './sql-identity-store.ts';
export { SqlPrekeyStore } from './sql-prekey-store.ts';
export { SqlSessionKeyStore } from './sql-session-key-store.ts';
export type { SqliteNonceStoreOptions } from './sqlite-nonce-store.ts';
export { SqliteNonceStore } from './sqlite-nonce-store.ts';

/** The SQL-backed stores of one database (nonces are chosen by the caller: SQL or Redis). */
export interface SqlStores {
  readonly identities: IdentityStore;
  readonly enrollments: EnrollmentStore;
  readonly prekeys: PrekeyStore;
  readonly sessions: SessionKeyStore;
}

/** Builds every SQL store on `db` (already migrated). */
export function createSqlStores(db: SqlDatabase): SqlStores {
  return {
    identities: new SqlIdentityStore(db),
    enrollments: new SqlEnrollmentStore(db),
    prekeys: new SqlPrekeyStore(db),
    sessions: new SqlSessionKeyStore(db),
  };
}
