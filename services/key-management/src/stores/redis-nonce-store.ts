/**
 * NonceStore on Redis for the distributed mode: `SET key 1 NX PX ttl` succeeds for exactly one
 * caller across every instance, and Redis expires the key itself. The lifetime runs on Redis's
 * clock, so `nowMs` is not used (instances need not agree on the time).
 */
import { mapRedisError, type RedisClient } from '@proof-messenger/storage';
import type { NonceStore } from '../ports/nonce-store.ts';

/** Options of `RedisNonceStore`. */
export interface RedisNonceStoreOptions {
  /** Prefix of every key (default `pm:nonce:`); lets deployments or tests share one Redis. */
  readonly keyPrefix?: string;
}

/** See the module comment. */
export class RedisNonceStore implements NonceStore {
  readonly #redis: RedisClient;
  readonly #prefix: string;

  constructor(redis: RedisClient, options: RedisNonceStoreOptions = {}) {
    this.#redis = redis;
    this.#prefix = options.keyPrefix ?? 'pm:nonce:';
  }

  /** @throws RangeError when ttlMs is not a positive number; UnavailableError when Redis is down */
  async remember(nonce: string, ttlMs: number, _nowMs: number): Promise<boolean> {
    if (!Number.isFinite(ttlMs) || ttlMs <= 0) {
      throw new RangeError(`ttlMs must be a positive number, got ${ttlMs}`);
    }
    try {
      const reply = await this.#redis.set(
        `${this.#prefix}${nonce}`,
        '1',
        'PX',
        Math.ceil(ttlMs),
        'NX',
      );
      return reply === 'OK';
    } catch (err) {
      throw mapRedisError(err);
    }
  }
}
