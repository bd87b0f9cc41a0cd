/**
 * CachedIdentityStore: the distributed mode's IdentityStore, an IdentityStore (PostgreSQL) with
 * `get` and `findKey` cached in Redis, because every envelope verification looks a key up.
 *
 * Staleness bound: a cached answer is at most `ttlMs` old (default 5 s), so a revoked key can be
 * served for at most that long after the revocation when the invalidation below fails (Redis
 * unreachable) or the database was changed behind the cache. Normally every write through any
 * instance invalidates before it returns, and later reads on every instance see the change.
 *
 * How: one Redis hash per agent holds its cached answers (`identity`, `key:<id>`); its TTL is set
 * by the first fill only (`PEXPIRE … NX`), so no field outlives `ttlMs`. A write bumps the agent's
 * generation counter and deletes the hash. A read that misses remembers the generation it saw and
 * fills only if the generation is unchanged (checked inside a Lua script, atomically), so a read
 * that raced with a write can never put the pre-write answer back. Keys use a `{agentId}` hash tag
 * so both keys of an agent live in one Redis Cluster slot.
 *
 * Redis is an optimization, never a dependency: when it fails, reads go to the database and
 * writes still succeed (the failure is reported to `onCacheError`).
 */
import { mapRedisError, type RedisClient } from '@proof-messenger/storage';
import type {
  IdentityKeyRecord,
  IdentityRecord,
  IdentityStore,
  NewIdentityKey,
} from '../ports/identity-store.ts';
import { decodeIdentity, decodeKey, encodeIdentity, encodeKey } from './internal/identity-json.ts';

/** Options of `CachedIdentityStore`. */
export interface CachedIdentityStoreOptions {
  /** Prefix of every key (default `pm:identity:`); lets deployments or tests share one Redis. */
  readonly keyPrefix?: string;
  /** Told about every Redis failure (already mapped to UnavailableError); ignored by default. */
  readonly onCacheError?: (err: unknown) => void;
}

/** Generation counters outlive any read by far; they only need to survive one read's duration. */
const GENERATION_TTL_MS = 24 * 60 * 60 * 1000;

/** KEYS: hash, generation. ARGV: field. → {1, value} on a hit, {0, generation} on a miss. */
const READ = `local value = redis.call('HGET', KEYS[1], ARGV[1])
if value then return {1, value} end
return {0, redis.call('GET', KEYS[2]) or ''}`;

/** KEYS: hash, generation. ARGV: generation seen, field, value, ttl ms. Fills only if unchanged. */
const FILL = `if (redis.call('GET', KEYS[2]) or '') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], ARGV[2], ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4], 'NX')
return 1`;

/** See the module comment. */
export class CachedIdentityStore implements IdentityStore {
  readonly #inner: IdentityStore;
  readonly #redis: RedisClient;
  readonly #ttlMs: number;
  readonly #prefix: string;
  readonly #onCacheError: (err: unknown) => void;

  /**
   * @param ttlMs longest a cached answer is served (default 5000 ms); 0 turns caching off
   * @throws RangeError when ttlMs is not a non-negative integer
   */
  constructor(
    inner: IdentityStore,
    redis: RedisClient,
    ttlMs = 5000,
    options: CachedIdentityStoreOptions = {},
  ) {
    if (!Number.isSafeInteger(ttlMs) || ttlMs < 0) {
      throw new RangeError(`ttlMs must be a non-negative integer, got ${ttlMs}`);
    }
    this.#inner = inner;
    this.#redis = redis;
    this.#ttlMs = ttlMs;
    this.#prefix = options.keyPrefix ?? 'pm:identity:';
    this.#onCacheError = options.onCacheError ?? (() => undefined);
  }

  get(agentId: string): Promise<IdentityRecord | undefined> {
    return this.#cached(
      agentId,
      'identity',
      () => this.#inner.get(agentId),
      encodeIdentity,
      decodeIdentity,
    );
  }

  /** Not cached: only registration and rotation ask, and they must see the database. */
  keyIdTaken(keyId: string): Promise<boolean> {
    return this.#inner.keyIdTaken(keyId);
  }

  findKey(agentId: string, keyId: string): Promise<IdentityKeyRecord | undefined> {
    return this.#cached(
      agentId,
      `key:${keyId}`,
      () => this.#inner.findKey(agentId, keyId),
      encodeKey,
      decodeKey,
    );
  }

  /** Not cached: read rarely (history listings), and must be exact. */
  history(agentId: string): Promise<IdentityKeyRecord[]> {
    return this.#inner.history(agentId);
  }

  register(agentId: string, key: NewIdentityKey, atMs: number): Promise<IdentityRecord> {
    return this.#writing(agentId, () => this.#inner.register(agentId, key, atMs));
  }

  rotate(
    agentId: string,
    previousKeyId: string,
    newKey: NewIdentityKey,
    atMs: number,
  ): Promise<IdentityRecord> {
    return this.#writing(agentId, () => this.#inner.rotate(agentId, previousKeyId, newKey, atMs));
  }

  revokeKey(agentId: string, keyId: string, reason: string, atMs: number): Promise<void> {
    return this.#writing(agentId, () => this.#inner.revokeKey(agentId, keyId, reason, atMs));
  }

  revokeIdentity(agentId: string, reason: string, atMs: number): Promise<void> {
    return this.#writing(agentId, () => this.#inner.revokeIdentity(agentId, reason, atMs));
  }

  #keys(agentId: string): [hash: string, generation: string] {
    const hash = `${this.#prefix}{${agentId}}`;
    return [hash, `${hash}:gen`];
  }

  /** Runs a write, then invalidates, even when the write failed (its outcome may be unknown). */
  async #writing<T>(agentId: string, write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } finally {
      await this.#invalidate(agentId);
    }
  }

  async #invalidate(agentId: string): Promise<void> {
    if (this.#ttlMs === 0) return;
    const [hash, generation] = this.#keys(agentId);
    try {
      const replies = await this.#redis
        .multi()
        .incr(generation)
        .pexpire(generation, GENERATION_TTL_MS)
        .del(hash)
        .exec();
      if (replies === null) throw new Error('Connection is closed (transaction aborted)');
      for (const [err] of replies) if (err) throw err;
    } catch (err) {
      this.#onCacheError(mapRedisError(err));
    }
  }

  async #cached<T>(
    agentId: string,
    field: string,
    load: () => Promise<T | undefined>,
    encode: (value: T | undefined) => string,
    decode: (text: string) => { value: T | undefined } | undefined,
  ): Promise<T | undefined> {
    if (this.#ttlMs === 0) return load();
    const [hash, generationKey] = this.#keys(agentId);
    let generation: string | undefined;
    try {
      const reply = await this.#redis.eval(READ, 2, hash, generationKey, field);
      if (Array.isArray(reply) && typeof reply[1] === 'string') {
        if (reply[0] === 0) generation = reply[1];
        else {
          const hit = decode(reply[1]);
          if (hit !== undefined) return hit.value;
        }
      }
    } catch (err) {
      this.#onCacheError(mapRedisError(err));
    }
    const value = await load();
    if (generation !== undefined) {
      try {
        await this.#redis.eval(
          FILL,
          2,
          hash,
          generationKey,
          generation,
          field,
          encode(value),
          this.#ttlMs,
        );
      } catch (err) {
        this.#onCacheError(mapRedisError(err));
      }
    }
    return value;
  }
}
