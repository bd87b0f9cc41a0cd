/**
 * What every SqlDatabase must do, run against node:sqlite and PostgreSQL by the two driver test
 * files: placeholders, rows changed, commit and rollback, savepoints, bytes and big integers,
 * unique violations, and that a transaction's statements never mix with anyone else's.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { UnavailableError } from '@proof-messenger/errors';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isUniqueViolation, type SqlDatabase } from '../src/index.ts';

/** Opens a fresh, empty database; `close` also removes what it created. */
export type OpenTestDatabase = () => Promise<{ db: SqlDatabase; destroy(): Promise<void> }>;

const TABLE = {
  sqlite: `CREATE TABLE items (
    id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, data BLOB, n INTEGER)`,
  postgres: `CREATE TABLE items (
    id BIGINT PRIMARY KEY, name TEXT NOT NULL UNIQUE, data BYTEA, n BIGINT)`,
};

interface Item {
  id: number;
  name: string;
  data: Uint8Array | null;
  n: number | null;
}

class Boom extends Error {}

export function sqlDatabaseSuite(open: OpenTestDatabase): void {
  let db: SqlDatabase;
  let destroy: () => Promise<void>;

  beforeEach(async () => {
    ({ db, destroy } = await open());
    await db.executeScript(TABLE[db.dialect]);
  });
  afterEach(async () => {
    await destroy();
  });

  const names = async (target: SqlDatabase = db) =>
    (await target.query<{ name: string }>('SELECT name FROM items ORDER BY id')).map((r) => r.name);

  describe('statements', () => {
    it('binds $n placeholders by number, reused and out of order, not inside literals', async () => {
      await db.execute('INSERT INTO items (id, name, n) VALUES ($2, $1, $2)', ['a', 7]);
      const rows = await db.query<{ id: number; name: string; n: number; lit: string }>(
        "SELECT id, name, n, '$1 stays' AS lit FROM items WHERE id = $1 AND n = $1",
        [7],
      );
      expect(rows.map((r) => ({ ...r }))).toEqual([{ id: 7, name: 'a', n: 7, lit: '$1 stays' }]);
    });

    it('execute returns the number of rows changed', async () => {
      await db.execute("INSERT INTO items (id, name) VALUES (1, 'a'), (2, 'b'), (3, 'c')");
      expect(await db.execute('UPDATE items SET n = $1 WHERE id >= $2', [5, 2])).toBe(2);
      expect(await db.execute('DELETE FROM items WHERE id = $1', [99])).toBe(0);
      expect(await db.execute('DELETE FROM items')).toBe(3);
    });

    it('returns rows from writes with RETURNING', async () => {
      const rows = await db.query<{ id: number }>(
        "INSERT INTO items (id, name) VALUES (4, 'd') RETURNING id",
      );
      expect(rows.map((r) => r.id)).toEqual([4]);
    });

    it('round-trips bytes as Uint8Array (never Buffer) and big integers as numbers', async () => {
      const data = Uint8Array.from({ length: 256 }, (_, i) => i);
      const big = 2 ** 53 - 1;
      await db.execute('INSERT INTO items (id, name, data, n) VALUES ($1, $2, $3, $4)', [
        1,
        'bytes',
        data,
        big,
      ]);
      await db.execute('INSERT INTO items (id, name, data, n) VALUES ($1, $2, $3, $4)', [
        2,
        'empty',
        new Uint8Array(0),
        2n ** 40n,
      ]);
      const [first, second] = await db.query<Item>('SELECT * FROM items ORDER BY id');
      expect(first?.data).toBeInstanceOf(Uint8Array);
      expect(Buffer.isBuffer(first?.data)).toBe(false);
      expect(first?.data).toEqual(data);
      expect(first?.n).toBe(big);
      expect(second?.data).toEqual(new Uint8Array(0));
      expect(second?.n).toBe(2 ** 40);
      const [count] = await db.query<{ c: number }>('SELECT COUNT(*) AS c FROM items');
      expect(count?.c).toBe(2);
    });

    it('recognises unique and primary key violations, and nothing else', async () => {
      await db.execute("INSERT INTO items (id, name) VALUES (1, 'a')");
      const duplicateName = await db
        .execute("INSERT INTO items (id, name) VALUES (2, 'a')")
        .catch((e: unknown) => e);
      const duplicateId = await db
        .execute("INSERT INTO items (id, name) VALUES (1, 'b')")
        .catch((e: unknown) => e);
      const notNull = await db
        .execute('INSERT INTO items (id) VALUES (3)')
        .catch((e: unknown) => e);
      expect(isUniqueViolation(duplicateName)).toBe(true);
      expect(isUniqueViolation(duplicateId)).toBe(true);
      expect(notNull).toBeInstanceOf(Error);
      expect(isUniqueViolation(notNull)).toBe(false);
      expect(isUniqueViolation(new Error('23505'))).toBe(false);
    });
  });

  describe('transactions', () => {
    it('commits when the work resolves and returns its value', async () => {
      const result = await db.transaction(async (tx) => {
        await tx.execute("INSERT INTO items (id, name) VALUES (1, 'a')");
        await tx.execute("INSERT INTO items (id, name) VALUES (2, 'b')");
        return 'done';
      });
      expect(result).toBe('done');
      expect(await names()).toEqual(['a', 'b']);
    });

    it('rolls back everything when the work rejects, and passes the rejection on', async () => {
      const boom = new Boom('no');
      const outcome = db.transaction(async (tx) => {
        await tx.execute("INSERT INTO items (id, name) VALUES (1, 'a')");
        throw boom;
      });
      await expect(outcome).rejects.toBe(boom);
      expect(await names()).toEqual([]);
    });

    it('rolls back after a failed statement (a unique violation inside)', async () => {
      await db.execute("INSERT INTO items (id, name) VALUES (1, 'a')");
      const error = await db
        .transaction(async (tx) => {
          await tx.execute("INSERT INTO items (id, name) VALUES (2, 'b')");
          await tx.execute("INSERT INTO items (id, name) VALUES (3, 'a')");
        })
        .catch((e: unknown) => e);
      expect(isUniqueViolation(error)).toBe(true);
      expect(await names()).toEqual(['a']);
    });

    it('a nested transaction is a savepoint: its failure undoes only its own part', async () => {
      await db.transaction(async (tx) => {
        await tx.execute("INSERT INTO items (id, name) VALUES (1, 'outer')");
        await expect(
          tx.transaction(async (inner) => {
            await inner.execute("INSERT INTO items (id, name) VALUES (2, 'inner')");
            throw new Boom('inner');
          }),
        ).rejects.toBeInstanceOf(Boom);
        await tx.transaction(async (inner) => {
          await inner.execute("INSERT INTO items (id, name) VALUES (3, 'kept')");
        });
      });
      expect(await names()).toEqual(['outer', 'kept']);
    });

    it('statements outside a transaction never join it, even while it is in flight', async () => {
      const inFlight = db.transaction(async (tx) => {
        await tx.execute("INSERT INTO items (id, name) VALUES (1, 'rolled back')");
        await sleep(30);
        throw new Boom('abort');
      });
      // Handle the rejection at once: on a busy machine it can come before the insert below returns.
      const outcome = inFlight.then(
        () => 'committed',
        (error: unknown) => error,
      );
      await sleep(5);
      await db.execute("INSERT INTO items (id, name) VALUES (2, 'independent')");
      expect(await outcome).toBeInstanceOf(Boom);
      expect(await names()).toEqual(['independent']);
    });

    it('concurrent transactions each see a consistent read-modify-write', async () => {
      await db.execute("INSERT INTO items (id, name, n) VALUES (1, 'counter', 0)");
      const lock = db.dialect === 'postgres' ? ' FOR UPDATE' : '';
      await Promise.all(
        Array.from({ length: 20 }, () =>
          db.transaction(async (tx) => {
            const [row] = await tx.query<{ n: number }>(`SELECT n FROM items WHERE id = 1${lock}`);
            await sleep(1);
            await tx.execute('UPDATE items SET n = $1 WHERE id = 1', [(row?.n ?? 0) + 1]);
          }),
        ),
      );
      const [row] = await db.query<{ n: number }>('SELECT n FROM items WHERE id = 1');
      expect(row?.n).toBe(20);
    });

    it('refuses a transaction handle used after the transaction finished', async () => {
      let escaped: SqlDatabase | undefined;
      await db.transaction(async (tx) => {
        escaped = tx;
      });
      await expect(escaped?.query('SELECT 1')).rejects.toThrow(
        'the transaction is already finished',
      );
    });
  });

  it('fails with UnavailableError once closed', async () => {
    const closed = await open();
    await closed.db.close();
    const error = await closed.db.query('SELECT 1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnavailableError);
    await closed.destroy();
  });
}
