/**
 * The distributed adapters that use Redis: the identity store behind the Redis cache (the whole
 * IdentityStore contract, then what only a cache has: cross-instance invalidation, the TTL bound
 * for writes made behind its back, no stale refill after a racing write, and working on when
 * Redis is gone), and the Redis nonce store. Needs PostgreSQL and Redis; skipped with a message
 * outside CI when either is unreachable, started or failed in CI.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { UnavailableError } from '@proof-messenger/errors';
import { openRedis, type SqlDatabase } from '@proof-messenger/storage';
import { redisUrl, requireServices } from '@proof-messenger/storage/testing';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { IdentityStore, NewIdentityKey } from '../src/ports/identity-store.ts';
import { CachedIdentityStore, RedisNonceStore, SqlIdentityStore } from '../src/stores/index.ts';
import {
  type OpenedBackend,
  type OpenedRedis,
  openTestRedis,
  postgresBackend,
} from './backends.ts';
import { identityStoreContract } from './contract/identity-store.contract.ts';
import { nonceStoreContract } from './contract/nonce-store.contract.ts';
import { bytes } from './contract/store-target.ts';

const services = await requireServices(['postgres', 'redis']);
if (!services.available) console.warn(`skipping Redis store tests: ${services.reason}`);

function newKey(n: number): NewIdentityKey {
  return { keyId: `key-${n}`, mlDsa65: bytes(n, 1952), ed25519: bytes(n + 1000, 32) };
}

describe.skipIf(!services.available)('redis-backed stores', () => {
  const backend = postgresBackend();
  afterAll(() => backend.dispose());

  describe('CachedIdentityStore over PostgreSQL', () => {
    identityStoreContract(async () => {
      const sql = await backend.open();
      const redis = await openTestRedis();
      const cached = (i: 0 | 1) =>
        new CachedIdentityStore(new SqlIdentityStore(sql.dbs[i]), redis.clients[i], 5000, {
          keyPrefix: redis.prefix,
        });
      return {
        store: cached(0),
        other: cached(1),
        close: async () => {
          await redis.close();
          await sql.close();
        },
      };
    });
  });

  describe('CachedIdentityStore caching', () => {
    let sql: OpenedBackend;
    let redis: OpenedRedis;
    const errors: unknown[] = [];

    /** Instance `i` of the service: its own pool and Redis client. */
    function instance(i: 0 | 1, ttlMs: number, inner?: IdentityStore): CachedIdentityStore {
      const db: SqlDatabase = sql.dbs[i];
      return new CachedIdentityStore(inner ?? new SqlIdentityStore(db), redis.clients[i], ttlMs, {
        keyPrefix: redis.prefix,
        onCacheError: (err) => errors.push(err),
      });
    }

    beforeEach(async () => {
      sql = await backend.open();
      redis = await openTestRedis();
      errors.length = 0;
    });
    afterEach(async () => {
      await redis.close();
      await sql.close();
    });

    it('serves reads from Redis once filled', async () => {
      const a = instance(0, 60_000);
      await a.register('alice', newKey(1), 1000);
      const fromDb = await a.get('alice');
      await sql.dbs[0].execute('UPDATE identities SET registered_at_ms = 1 WHERE agent_id = $1', [
        'alice',
      ]);
      expect(await a.get('alice')).toEqual(fromDb);
      expect(await redis.clients[0].pttl(`${redis.prefix}{alice}`)).toBeGreaterThan(59_000);
      expect(errors).toEqual([]);
    });

    it('makes a revocation through one instance visible through another’s cache at once', async () => {
      const a = instance(0, 60_000);
      const b = instance(1, 60_000);
      await a.register('alice', newKey(1), 1000);
      expect((await b.get('alice'))?.revoked).toBe(false);
      expect((await b.findKey('alice', 'key-1'))?.state).toBe('current');
      expect(await b.findKey('alice', 'key-2')).toBeUndefined();
      await a.rotate('alice', 'key-1', newKey(2), 2000);
      expect((await b.get('alice'))?.currentKey?.keyId).toBe('key-2');
      expect((await b.findKey('alice', 'key-2'))?.state).toBe('current');
      await a.revokeKey('alice', 'key-2', 'leaked', 3000);
      expect(await b.get('alice')).toEqual({
        agentId: 'alice',
        registeredAtMs: 1000,
        revoked: true,
        revokedAtMs: 3000,
        revocationReason: 'leaked',
        currentKey: null,
      });
      expect((await b.findKey('alice', 'key-2'))?.state).toBe('revoked');
      expect(errors).toEqual([]);
    });

    it('caches unknown agents too, until a registration anywhere invalidates', async () => {
      const a = instance(0, 60_000);
      const b = instance(1, 60_000);
      expect(await b.get('alice')).toBeUndefined();
      await a.register('alice', newKey(1), 1000);
      expect((await b.get('alice'))?.agentId).toBe('alice');
    });

    it('shows a write made behind the cache once the TTL has passed', async () => {
      const b = instance(1, 300);
      const direct = new SqlIdentityStore(sql.dbs[0]);
      await direct.register('alice', newKey(1), 1000);
      expect((await b.get('alice'))?.revoked).toBe(false);
      expect((await b.findKey('alice', 'key-1'))?.state).toBe('current');
      await direct.revokeIdentity('alice', 'behind the cache', 2000);
      // Still served from the cache: this is the documented staleness bound.
      expect((await b.get('alice'))?.revoked).toBe(false);
      await sleep(400);
      expect((await b.get('alice'))?.revoked).toBe(true);
      expect((await b.findKey('alice', 'key-1'))?.state).toBe('revoked');
    });

    it('does not refill the cache with an answer read before a racing write', async () => {
      let release = () => {};
      let readDone = () => {};
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      const read = new Promise<void>((resolve) => {
        readDone = resolve;
      });
      const sqlStore = new SqlIdentityStore(sql.dbs[1]);
      // Reads the database, then stalls before its answer reaches the cache.
      const slow: IdentityStore = Object.assign(Object.create(sqlStore) as IdentityStore, {
        get: async (agentId: string) => {
          const answer = await sqlStore.get(agentId);
          readDone();
          await gate;
          return answer;
        },
      });
      const a = instance(0, 60_000);
      const b = instance(1, 60_000, slow);
      await a.register('alice', newKey(1), 1000);
      const stale = b.get('alice');
      await read;
      await a.revokeIdentity('alice', 'revoked during the read', 2000);
      release();
      expect((await stale)?.revoked).toBe(false);
      expect((await instance(1, 60_000).get('alice'))?.revoked).toBe(true);
    });

    it('reads the database and still writes when Redis is gone, reporting it', async () => {
      const gone = await openRedis(redisUrl());
      gone.disconnect();
      const store = new CachedIdentityStore(new SqlIdentityStore(sql.dbs[0]), gone, 5000, {
        keyPrefix: redis.prefix,
        onCacheError: (err) => errors.push(err),
      });
      expect((await store.register('alice', newKey(1), 1000)).agentId).toBe('alice');
      expect((await store.get('alice'))?.currentKey?.keyId).toBe('key-1');
      expect((await store.findKey('alice', 'key-1'))?.state).toBe('current');
      expect(errors).toHaveLength(3);
      for (const err of errors) {
        expect(err).toBeInstanceOf(UnavailableError);
        expect((err as Error).message).toBe('redis is unavailable; retry later');
      }
    });

    it('passes everything through with a TTL of 0', async () => {
      const a = instance(0, 0);
      await a.register('alice', newKey(1), 1000);
      expect((await a.get('alice'))?.agentId).toBe('alice');
      expect(await redis.clients[0].keys(`${redis.prefix}*`)).toEqual([]);
    });

    it('rejects a negative or fractional TTL', () => {
      expect(() => instance(0, -1)).toThrow(
        new RangeError('ttlMs must be a non-negative integer, got -1'),
      );
      expect(() => instance(0, 1.5)).toThrow(
        new RangeError('ttlMs must be a non-negative integer, got 1.5'),
      );
    });
  });

  describe('RedisNonceStore', () => {
    nonceStoreContract(async () => {
      const redis = await openTestRedis();
      return {
        store: new RedisNonceStore(redis.clients[0], { keyPrefix: redis.prefix }),
        other: new RedisNonceStore(redis.clients[1], { keyPrefix: redis.prefix }),
        close: redis.close,
      };
    });
  });
});
