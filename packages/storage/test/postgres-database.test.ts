/**
 * The PostgreSQL driver against a real server: the shared SqlDatabase suite in a fresh schema per
 * test, plus schema isolation and connection failures. Skipped with a message when PostgreSQL is
 * unreachable outside CI; CI starts it or fails.
 */
import { UnavailableError } from '@proof-messenger/errors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgresDatabase, type SqlDatabase } from '../src/index.ts';
import { postgresUrl, requireServices, uniqueSchemaName } from '../src/testing.ts';
import { sqlDatabaseSuite } from './sql-database-suite.ts';

const services = await requireServices(['postgres']);
if (!services.available) console.warn(`skipping PostgreSQL driver tests: ${services.reason}`);

describe.skipIf(!services.available)('postgres database', () => {
  let admin: SqlDatabase;
  beforeAll(async () => {
    admin = await openPostgresDatabase({ connectionString: postgresUrl(), max: 2 });
  });
  afterAll(async () => {
    await admin.close();
  });

  async function openInSchema(prefix: string) {
    const schema = uniqueSchemaName(prefix);
    const db = await openPostgresDatabase({ connectionString: postgresUrl(), schema, max: 4 });
    return {
      db,
      schema,
      destroy: async () => {
        await db.close();
        await admin.execute(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      },
    };
  }

  sqlDatabaseSuite(() => openInSchema('pm_storage'));

  it('keeps each schema isolated and creates it only once', async () => {
    const a = await openInSchema('pm_iso_a');
    const b = await openInSchema('pm_iso_b');
    const again = await openPostgresDatabase({ connectionString: postgresUrl(), schema: a.schema });
    try {
      await a.db.executeScript("CREATE TABLE t (v TEXT); INSERT INTO t VALUES ('a');");
      await b.db.executeScript("CREATE TABLE t (v TEXT); INSERT INTO t VALUES ('b');");
      expect((await a.db.query<{ v: string }>('SELECT v FROM t')).map((r) => r.v)).toEqual(['a']);
      expect((await b.db.query<{ v: string }>('SELECT v FROM t')).map((r) => r.v)).toEqual(['b']);
      expect((await again.query<{ v: string }>('SELECT v FROM t')).map((r) => r.v)).toEqual(['a']);
    } finally {
      await again.close();
      await a.destroy();
      await b.destroy();
    }
  });

  it('rejects a schema name that is not a plain identifier', async () => {
    await expect(
      openPostgresDatabase({ connectionString: postgresUrl(), schema: 'x"; DROP TABLE y; --' }),
    ).rejects.toThrow(RangeError);
  });

  it('turns a refused connection into a retryable UnavailableError', async () => {
    const db = await openPostgresDatabase({
      connectionString: 'postgres://postgres@127.0.0.1:1/test',
      connectTimeoutMs: 1000,
    });
    try {
      for (const attempt of [() => db.query('SELECT 1'), () => db.transaction(async () => 1)]) {
        const error = await attempt().catch((e: unknown) => e);
        expect(error).toBeInstanceOf(UnavailableError);
        expect((error as UnavailableError).message).toBe(
          'the database is unavailable; retry later',
        );
        expect((error as UnavailableError).retryable).toBe(true);
      }
    } finally {
      await db.close();
    }
  });

  it('turns a connection killed by the server into UnavailableError, and recovers', async () => {
    const victim = await openInSchema('pm_kill');
    try {
      const error = await victim.db
        .transaction(async (tx) => {
          const [me] = await tx.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
          await admin.query('SELECT pg_terminate_backend($1)', [me?.pid ?? 0]);
          await tx.query('SELECT 1');
        })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UnavailableError);
      expect(await victim.db.query<{ one: number }>('SELECT 1 AS one')).toEqual([{ one: 1 }]);
    } finally {
      await victim.destroy();
    }
  });
});
