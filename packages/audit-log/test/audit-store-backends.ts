/**
 * The storage the SqlAuditStore suites run on: a SQLite file in a temp directory, or a
 * PostgreSQL schema of its own, each with two store instances (the same connection for SQLite,
 * which is one process's single writer by design; two separate pools for PostgreSQL) and a
 * restart that closes every connection and opens the same file or schema again.
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
import { SqlAuditStore } from '../src/index.ts';

/** Two instances of the store over one database. */
export interface AuditStoreInstances {
  readonly store: SqlAuditStore;
  readonly other: SqlAuditStore;
}

/** A fresh, migrated, empty audit database. */
export interface OpenedAuditStore extends AuditStoreInstances {
  /** Closes every connection and opens the same data again (a process restart). */
  restart(): Promise<AuditStoreInstances>;
  /** Closes the connections and deletes the data. */
  close(): Promise<void>;
}

/** Where a suite's stores live. */
export interface AuditStoreBackend {
  readonly name: 'sqlite' | 'postgres';
  open(): Promise<OpenedAuditStore>;
}

async function instances(
  open: () => Promise<readonly [SqlDatabase, SqlDatabase]>,
  dbs: SqlDatabase[],
): Promise<AuditStoreInstances> {
  const [first, second] = await open();
  dbs.push(first, second);
  const store = await SqlAuditStore.open(first);
  const other = second === first ? store : await SqlAuditStore.open(second);
  return { store, other };
}

async function closeAll(dbs: SqlDatabase[]): Promise<void> {
  const unique = [...new Set(dbs.splice(0))];
  await Promise.all(unique.map((db) => db.close()));
}

/** A new SQLite file per test. */
export const sqliteBackend: AuditStoreBackend = {
  name: 'sqlite',
  open: async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pm-audit-store-'));
    const path = join(dir, 'audit.sqlite');
    const dbs: SqlDatabase[] = [];
    const open = async () => {
      const db = await openSqliteDatabase(path);
      return [db, db] as const;
    };
    return {
      ...(await instances(open, dbs)),
      restart: async () => {
        await closeAll(dbs);
        return instances(open, dbs);
      },
      close: async () => {
        await closeAll(dbs);
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
};

/** A new PostgreSQL schema per test, with two pools standing for two service instances. */
export const postgresBackend: AuditStoreBackend = {
  name: 'postgres',
  open: async () => {
    const schema = uniqueSchemaName('pm_audit');
    const dbs: SqlDatabase[] = [];
    const pool = () => openPostgresDatabase({ connectionString: postgresUrl(), schema, max: 4 });
    const open = async () => [await pool(), await pool()] as const;
    return {
      ...(await instances(open, dbs)),
      restart: async () => {
        await closeAll(dbs);
        return instances(open, dbs);
      },
      close: async () => {
        await closeAll(dbs);
        const admin = await openPostgresDatabase({ connectionString: postgresUrl() });
        await admin.execute(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
        await admin.close();
      },
    };
  },
};
