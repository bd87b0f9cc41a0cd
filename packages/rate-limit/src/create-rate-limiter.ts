/**
 * Builds the rate limiter a service runs with: the Redis one when the service has a Redis
 * client (distributed mode: the limit must hold across instances), the in-memory one otherwise
 * (embedded mode: one process, nothing to share).
 */
import type { AuditSink } from '@proof-messenger/audit-log';
import type { UnavailableError } from '@proof-messenger/errors';
import type { RedisClient } from '@proof-messenger/storage';
import { MemoryRateLimiter } from './memory-rate-limiter.ts';
import type { RateLimitConfig } from './rate-limit-config.ts';
import type { RateLimiter } from './rate-limiter.ts';
import { RedisRateLimiter } from './redis-rate-limiter.ts';

/** What `createRateLimiter` builds on. */
export interface RateLimiterDependencies {
  /** Distributed mode: the shared Redis (the caller owns and closes it). */
  readonly redis?: RedisClient;
  /** Where refusals are recorded. */
  readonly audit?: AuditSink;
  /** Prefix of the Redis keys (default `pm:rate:`). */
  readonly keyPrefix?: string;
  /** Hears each Redis outage (log it); see RedisRateLimiter. */
  readonly onRedisError?: (err: UnavailableError) => void;
}

/**
 * A RedisRateLimiter when `deps.redis` is given, else a MemoryRateLimiter, for `config` (from
 * `rateLimitConfigFromEnv`).
 * @throws RangeError for an invalid limit in `config`
 */
export function createRateLimiter(
  config: RateLimitConfig,
  deps: RateLimiterDependencies = {},
): RateLimiter {
  if (deps.redis === undefined) return new MemoryRateLimiter(config.limits, { audit: deps.audit });
  return new RedisRateLimiter(deps.redis, config.limits, {
    audit: deps.audit,
    keyPrefix: deps.keyPrefix,
    onUnavailable: config.onUnavailable,
    onRedisError: deps.onRedisError,
  });
}
