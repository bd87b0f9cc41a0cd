/**
 * Storage for the policy tests: a migrated SQLite file in a temp directory, or a migrated
 * PostgreSQL schema of its own; each with two database handles standing for two service
 * instances (the same connection for SQLite, two separate pools for PostgreSQL).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  openPostgresDatabase,
  openSqliteDatabase,
  type SqlDatabase,
} from '@proof-messenger/storage';
import { postgresUrl, uniqueSchemaName } from '@proof-messenger/storage/testing';
import { migratePolicyStore } from '../src/index.ts';

/** Fresh migrated storage: `dbs[0]` and `dbs[1]` are the two instances' handles. */
export interface OpenedBackend {
  readonly dbs: readonly [SqlDatabase, SqlDatabase];
  close(): Promise<void>;
}

/** A way to open fresh storage for one test. */
export type OpenBackend = () => Promise<OpenedBackend>;

/** A new SQLite file per test. */
export const sqliteBackend: OpenBackend = async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pm-policy-'));
  const db = await openSqliteDatabase(join(dir, 'policy.sqlite'));
  await migratePolicyStore(db);
  return {
    dbs: [db, db],
    close: async () => {
      await db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
};

/** A new PostgreSQL schema per test, with two pools; dropped on close. */
export const postgresBackend: OpenBackend = async () => {
  const schema = uniqueSchemaName('pm_policy');
  const open = () => openPostgresDatabase({ connectionString: postgresUrl(), schema, max: 3 });
  const first = await open();
  await migratePolicyStore(first);
  const second = await open();
  return {
    dbs: [first, second],
    close: async () => {
      await second.close();
      await first.execute(`DROP SCHEMA "${schema}" CASCADE`);
      await first.close();
    },
  };
};
