/**
 * The storage the contract suites run on: a migrated SQLite file in a temp directory, or a
 * migrated PostgreSQL schema of its own, each with two database handles standing for two service
 * instances (the same connection for SQLite, which is one process's single writer by design; two
 * separate pools for PostgreSQL). Plus Redis clients with a key prefix of their own.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  migrate,
  openPostgresDatabase,
  openRedis,
  openSqliteDatabase,
  type RedisClient,
  type SqlDatabase,
} from '@proof-messenger/storage';
import { postgresUrl, redisUrl, uniqueSchemaName } from '@proof-messenger/storage/testing';
import { keyManagementMigrations } from '../src/stores/index.ts';
import type { OpenStore } from './contract/store-target.ts';

/** Fresh migrated storage: `dbs[0]` and `dbs[1]` are the two instances' handles. */
export interface OpenedBackend {
  readonly dbs: readonly [SqlDatabase, SqlDatabase];
  close(): Promise<void>;
}

/** Storage for one test file: `open` gives each test empty tables, `dispose` removes it all. */
export interface Backend {
  open(): Promise<OpenedBackend>;
  dispose(): Promise<void>;
}

/** A new SQLite file per test: cheap, and nothing can leak between tests. */
export function sqliteBackend(): Backend {
  return {
    open: async () => {
      const dir = mkdtempSync(join(tmpdir(), 'pm-km-stores-'));
      const db = await openSqliteDatabase(join(dir, 'key-management.sqlite'));
      await migrate(db, keyManagementMigrations);
      return {
        dbs: [db, db],
        close: async () => {
          await db.close();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
    dispose: async () => {},
  };
}

/**
 * One schema per test file (DDL is slow on PostgreSQL), emptied before every test;
 * the two pools stay open across tests and the schema is dropped at the end.
 */
export function postgresBackend(): Backend {
  const schema = uniqueSchemaName('pm_km');
  let pools: Promise<readonly [SqlDatabase, SqlDatabase]> | undefined;
  const openPools = async () => {
    const open = () => openPostgresDatabase({ connectionString: postgresUrl(), schema, max: 6 });
    const first = await open();
    await migrate(first, keyManagementMigrations);
    return [first, await open()] as const;
  };
  return {
    open: async () => {
      pools ??= openPools();
      const dbs = await pools;
      const tables = await dbs[0].query<{ name: string }>(
        `SELECT table_name AS name FROM information_schema.tables
          WHERE table_schema = current_schema() AND table_name <> 'schema_migrations'`,
      );
      // DELETE, not TRUNCATE: on tables this small it is ~30x faster. `identities` goes last
      // because identity_keys references it.
      const names = tables
        .map((t) => t.name)
        .sort((a, b) => Number(a === 'identities') - Number(b === 'identities'));
      await dbs[0].executeScript(names.map((name) => `DELETE FROM ${name};`).join('\n'));
      return { dbs, close: async () => {} };
    },
    dispose: async () => {
      if (pools === undefined) return;
      const [first, second] = await pools;
      await second.close();
      await first.execute(`DROP SCHEMA "${schema}" CASCADE`);
      await first.close();
    },
  };
}

/** Two Redis clients (one per instance) and a key prefix no other test uses. */
export interface OpenedRedis {
  readonly clients: readonly [RedisClient, RedisClient];
  readonly prefix: string;
  close(): Promise<void>;
}

export async function openTestRedis(): Promise<OpenedRedis> {
  const clients = [await openRedis(redisUrl()), await openRedis(redisUrl())] as const;
  const prefix = `pm-test:${randomUUID()}:`;
  return {
    clients,
    prefix,
    close: async () => {
      const [first, second] = clients;
      const keys = await first.keys(`${prefix}*`);
      if (keys.length > 0) await first.del(...keys);
      first.disconnect();
      second.disconnect();
    },
  };
}

/** Adapts a backend to a contract: builds one store per database handle. */
export function storesOn<S>(backend: Backend, build: (db: SqlDatabase) => S): OpenStore<S> {
  return async () => {
    const opened = await backend.open();
    return {
      store: build(opened.dbs[0]),
      other: build(opened.dbs[1]),
      close: opened.close,
    };
  };
}
