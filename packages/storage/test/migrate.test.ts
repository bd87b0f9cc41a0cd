/**
 * migrate() on both dialects: applied once and in order, a failing migration leaves nothing
 * behind, and on PostgreSQL several instances migrating one schema at once apply each migration
 * exactly once.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Migration,
  migrate,
  openPostgresDatabase,
  openSqliteDatabase,
  type SqlDatabase,
} from '../src/index.ts';
import { postgresUrl, requireServices, uniqueSchemaName } from '../src/testing.ts';

const MIGRATIONS: readonly Migration[] = [
  {
    id: '0001-notes',
    sqlite: 'CREATE TABLE notes (id INTEGER PRIMARY KEY, body BLOB NOT NULL);',
    postgres: 'CREATE TABLE notes (id BIGINT PRIMARY KEY, body BYTEA NOT NULL);',
  },
  {
    id: '0002-notes-index',
    sqlite: 'ALTER TABLE notes ADD COLUMN tag TEXT; CREATE INDEX notes_tag ON notes (tag);',
    postgres: 'ALTER TABLE notes ADD COLUMN tag TEXT; CREATE INDEX notes_tag ON notes (tag);',
  },
];

const BROKEN: Migration = {
  id: '0003-broken',
  sqlite: 'CREATE TABLE half (id INTEGER); CREATE TABLE notes (id INTEGER);',
  postgres: 'CREATE TABLE half (id BIGINT); CREATE TABLE notes (id BIGINT);',
};

async function recorded(db: SqlDatabase): Promise<string[]> {
  const rows = await db.query<{ id: string }>('SELECT id FROM schema_migrations ORDER BY id');
  return rows.map((r) => r.id);
}

async function tableExists(db: SqlDatabase, name: string): Promise<boolean> {
  const sql =
    db.dialect === 'sqlite'
      ? "SELECT name FROM sqlite_master WHERE type = 'table' AND name = $1"
      : 'SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = $1';
  return (await db.query(sql, [name])).length === 1;
}

function migrateSuite(open: () => Promise<{ db: SqlDatabase; destroy(): Promise<void> }>): void {
  it('applies each migration once, in order, and records it', async () => {
    const { db, destroy } = await open();
    try {
      expect(await migrate(db, MIGRATIONS)).toEqual(['0001-notes', '0002-notes-index']);
      expect(await migrate(db, MIGRATIONS)).toEqual([]);
      expect(await recorded(db)).toEqual(['0001-notes', '0002-notes-index']);
      await db.execute('INSERT INTO notes (id, body, tag) VALUES ($1, $2, $3)', [
        1,
        new Uint8Array([1]),
        't',
      ]);
    } finally {
      await destroy();
    }
  });

  it('rolls a failing migration back completely and keeps the earlier ones', async () => {
    const { db, destroy } = await open();
    try {
      await expect(migrate(db, [...MIGRATIONS, BROKEN])).rejects.toThrow();
      expect(await recorded(db)).toEqual(['0001-notes', '0002-notes-index']);
      expect(await tableExists(db, 'half')).toBe(false);
      expect(await tableExists(db, 'notes')).toBe(true);
    } finally {
      await destroy();
    }
  });

  it('rejects duplicate ids before touching the database', async () => {
    const { db, destroy } = await open();
    try {
      await expect(
        migrate(
          db,
          [MIGRATIONS[0], MIGRATIONS[0]].flatMap((m) => (m ? [m] : [])),
        ),
      ).rejects.toThrow(new RangeError('migration id "0001-notes" appears twice'));
      expect(await tableExists(db, 'schema_migrations')).toBe(false);
    } finally {
      await destroy();
    }
  });
}

describe('migrate on sqlite', () => {
  migrateSuite(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pm-migrate-'));
    const db = await openSqliteDatabase(join(dir, 'm.db'));
    return {
      db,
      destroy: async () => {
        await db.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  });
});

const services = await requireServices(['postgres']);
if (!services.available) console.warn(`skipping PostgreSQL migration tests: ${services.reason}`);

describe.skipIf(!services.available)('migrate on postgres', () => {
  let admin: SqlDatabase;
  beforeAll(async () => {
    admin = await openPostgresDatabase({ connectionString: postgresUrl(), max: 2 });
  });
  afterAll(async () => {
    await admin.close();
  });

  async function openSchema(schema: string) {
    return openPostgresDatabase({ connectionString: postgresUrl(), schema, max: 2 });
  }

  migrateSuite(async () => {
    const schema = uniqueSchemaName('pm_migrate');
    const db = await openSchema(schema);
    return {
      db,
      destroy: async () => {
        await db.close();
        await admin.execute(`DROP SCHEMA "${schema}" CASCADE`);
      },
    };
  });

  it('is safe when several instances migrate the same schema at once', async () => {
    const schema = uniqueSchemaName('pm_migrate_race');
    const instances = await Promise.all(Array.from({ length: 4 }, () => openSchema(schema)));
    try {
      const applied = await Promise.all(instances.map((db) => migrate(db, MIGRATIONS)));
      expect(applied.flat().sort()).toEqual(['0001-notes', '0002-notes-index']);
      expect(await recorded(instances[0] ?? admin)).toEqual(['0001-notes', '0002-notes-index']);
    } finally {
      await Promise.all(instances.map((db) => db.close()));
      await admin.execute(`DROP SCHEMA "${schema}" CASCADE`);
    }
  });
});
