/**
 * The distributed-mode rate limiter: each subject+action's token bucket lives in Redis and is
 * spent by one Lua script (internal/token-bucket-script.ts), so every instance draws on the
 * same bucket and a limit holds however many instances serve the subject. The script is called
 * with EVALSHA and sent in full (EVAL, which also caches it) only when Redis answers NOSCRIPT —
 * after a restart, failover or SCRIPT FLUSH.
 *
 * When Redis is unavailable (mapRedisError says so, or the client is not connected) the
 * `onUnavailable` policy decides. The default, `local`, keeps enforcing every limit per instance
 * in memory: a Redis outage then neither stops all messaging (as `deny` would) nor removes all
 * protection (as `allow` would); the effective limit is at most N times the configured one for N
 * instances, until Redis answers again. Either way it is not silent: `onRedisError` hears of each
 * outage and `stats().unavailable` counts the takes it decided. After a failure Redis is left
 * alone for `retryRedisAfterMs`, so an outage does not add a command timeout to every request.
 */
import type { AuditSink } from '@proof-messenger/audit-log';
import { UnavailableError } from '@proof-messenger/errors';
import { mapRedisError, type RedisClient } from '@proof-messenger/storage';
import { BucketTable, DEFAULT_MAX_BUCKETS } from './internal/bucket-table.ts';
import { checkTake, RefusalRecorder } from './internal/refusal-recorder.ts';
import { TOKEN_BUCKET_SCRIPT, TOKEN_BUCKET_SHA } from './internal/token-bucket-script.ts';
import {
  checkRateLimit,
  type RateLimit,
  type RateLimitedAction,
  type UnavailablePolicy,
} from './rate-limit-config.ts';
import type { RateLimiter, RateLimiterStats } from './rate-limiter.ts';

/** Options of `RedisRateLimiter`. */
export interface RedisRateLimiterOptions {
  /** Prefix of every bucket key (default `pm:rate:`); keys are `<prefix><action>:<subject>`. */
  readonly keyPrefix?: string;
  /** Where refusals are recorded (at most once per second per subject and action, per instance). */
  readonly audit?: AuditSink;
  /** What to do while Redis is unavailable (default `local`; see the module comment). */
  readonly onUnavailable?: UnavailablePolicy;
  /** How long to skip Redis after it failed, in ms (default 1000). */
  readonly retryRedisAfterMs?: number;
  /** Hears the UnavailableError that starts each outage (once, until Redis answers again). */
  readonly onRedisError?: (err: UnavailableError) => void;
  /** Local ms clock for audit throttling, the retry pause and `local` buckets (default `performance.now`). */
  readonly clock?: () => number;
}

/** Token buckets in Redis, shared by every instance; see the module comment. */
export class RedisRateLimiter implements RateLimiter {
  readonly #redis: RedisClient;
  readonly #limits: ReadonlyMap<string, RateLimit>;
  readonly #prefix: string;
  readonly #policy: UnavailablePolicy;
  readonly #retryRedisAfterMs: number;
  readonly #onRedisError: ((err: UnavailableError) => void) | undefined;
  readonly #clock: () => number;
  readonly #recorder: RefusalRecorder;
  readonly #local = new BucketTable(DEFAULT_MAX_BUCKETS);
  #skipRedisUntil = Number.NEGATIVE_INFINITY;
  #inOutage = false;

  /**
   * @param redis a connected client (`openRedis`); the caller owns and closes it
   * @param limits the limit per action (`RateLimitConfig.limits`); other actions are unlimited
   * @throws RangeError for an invalid limit or `retryRedisAfterMs`
   */
  constructor(
    redis: RedisClient,
    limits: ReadonlyMap<string, RateLimit>,
    options: RedisRateLimiterOptions = {},
  ) {
    for (const [action, limit] of limits) checkRateLimit(action, limit);
    const retryRedisAfterMs = options.retryRedisAfterMs ?? 1000;
    if (!Number.isFinite(retryRedisAfterMs) || retryRedisAfterMs < 0) {
      throw new RangeError(`retryRedisAfterMs must be >= 0, got ${retryRedisAfterMs}`);
    }
    this.#redis = redis;
    this.#limits = new Map(limits);
    this.#prefix = options.keyPrefix ?? 'pm:rate:';
    this.#policy = options.onUnavailable ?? 'local';
    this.#retryRedisAfterMs = retryRedisAfterMs;
    this.#onRedisError = options.onRedisError;
    this.#clock = options.clock ?? (() => performance.now());
    this.#recorder = new RefusalRecorder(options.audit, this.#clock);
  }

  /** The Redis key of `subject`'s bucket for `action`. */
  keyOf(subject: string, action: string): string {
    return `${this.#prefix}${action}:${subject}`;
  }

  async take(subject: string, action: RateLimitedAction | string, cost?: number): Promise<void> {
    const n = checkTake(subject, action, cost);
    const limit = this.#limits.get(action);
    if (limit === undefined) {
      this.#recorder.allowed();
      return;
    }
    if (n > limit.burst) throw this.#recorder.refuse(subject, action, limit, n, 0);
    let retryAfterMs: number;
    if (this.#clock() < this.#skipRedisUntil || !isConnected(this.#redis)) {
      retryAfterMs = this.#withoutRedis(subject, action, limit, n, undefined);
    } else {
      try {
        retryAfterMs = await this.#spend(this.keyOf(subject, action), limit, n);
        this.#inOutage = false;
      } catch (err) {
        const mapped = mapRedisError(err);
        if (!(mapped instanceof UnavailableError)) throw mapped;
        retryAfterMs = this.#withoutRedis(subject, action, limit, n, mapped);
      }
    }
    if (retryAfterMs > 0) throw this.#recorder.refuse(subject, action, limit, n, retryAfterMs);
    this.#recorder.allowed();
  }

  stats(): RateLimiterStats {
    return this.#recorder.stats();
  }

  async #spend(key: string, limit: RateLimit, cost: number): Promise<number> {
    const args = [String(limit.ratePerSecond), String(limit.burst), String(cost)];
    let reply: unknown;
    try {
      reply = await this.#redis.evalsha(TOKEN_BUCKET_SHA, 1, key, ...args);
    } catch (err) {
      if (!(err instanceof Error && err.message.startsWith('NOSCRIPT'))) throw err;
      reply = await this.#redis.eval(TOKEN_BUCKET_SCRIPT, 1, key, ...args);
    }
    if (!Array.isArray(reply) || typeof reply[0] !== 'number' || typeof reply[1] !== 'number') {
      throw new TypeError(`unexpected token bucket reply from Redis: ${JSON.stringify(reply)}`);
    }
    return reply[0] === 1 ? 0 : Math.max(1, reply[1]);
  }

  /** Decides by the policy; `err` is the failure when Redis was tried (not skipped). */
  #withoutRedis(
    subject: string,
    action: string,
    limit: RateLimit,
    cost: number,
    err: UnavailableError | undefined,
  ): number {
    const now = this.#clock();
    if (err !== undefined) this.#skipRedisUntil = now + this.#retryRedisAfterMs;
    if (!this.#inOutage) {
      this.#inOutage = true;
      this.#onRedisError?.(err ?? new UnavailableError('redis is unavailable; retry later'));
    }
    this.#recorder.unavailable();
    switch (this.#policy) {
      case 'allow':
        return 0;
      case 'deny':
        throw new UnavailableError('the rate limiter is unavailable; retry later', {
          retryAfterMs: this.#retryRedisAfterMs,
          metadata: { action },
          cause: err,
        });
      case 'local':
        return this.#local.spend(`${action}\0${subject}`, limit, cost, now);
    }
  }
}

/**
 * Whether commands can go out now. `wait` (a lazily connecting client) connects on the first
 * command; anything but `ready` otherwise means the connection is down or being re-established.
 */
function isConnected(redis: RedisClient): boolean {
  return redis.status === 'ready' || redis.status === 'wait';
}
