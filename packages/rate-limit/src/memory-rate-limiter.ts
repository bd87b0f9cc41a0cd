/**
 * The embedded-mode rate limiter: token buckets in this process's memory. Exact for one process
 * (the embedded platform runs every service in one); with several processes each would enforce
 * the limit on its own, which is what RedisRateLimiter is for. Memory is bounded (see
 * internal/bucket-table.ts): idle buckets are dropped once full, and at most `maxBuckets` kept.
 */
import type { AuditSink } from '@proof-messenger/audit-log';
import { BucketTable, DEFAULT_MAX_BUCKETS } from './internal/bucket-table.ts';
import { checkTake, RefusalRecorder } from './internal/refusal-recorder.ts';
import { checkRateLimit, type RateLimit, type RateLimitedAction } from './rate-limit-config.ts';
import type { RateLimiter, RateLimiterStats } from './rate-limiter.ts';

/** Options of `MemoryRateLimiter`. */
export interface MemoryRateLimiterOptions {
  /** Where refusals are recorded (at most once per second per subject and action). */
  readonly audit?: AuditSink;
  /** Milliseconds on a clock that does not jump (default `performance.now`); tests pass a fake. */
  readonly clock?: () => number;
  /** Most buckets kept at once (default 20,000: about 14 MB, measured ~700 bytes each). */
  readonly maxBuckets?: number;
}

/** Token buckets in memory; see the module comment. */
export class MemoryRateLimiter implements RateLimiter {
  readonly #limits: ReadonlyMap<string, RateLimit>;
  readonly #clock: () => number;
  readonly #buckets: BucketTable;
  readonly #recorder: RefusalRecorder;

  /**
   * @param limits the limit per action (`RateLimitConfig.limits`); other actions are unlimited
   * @throws RangeError for an invalid limit or `maxBuckets`
   */
  constructor(limits: ReadonlyMap<string, RateLimit>, options: MemoryRateLimiterOptions = {}) {
    for (const [action, limit] of limits) checkRateLimit(action, limit);
    this.#limits = new Map(limits);
    this.#clock = options.clock ?? (() => performance.now());
    this.#buckets = new BucketTable(options.maxBuckets ?? DEFAULT_MAX_BUCKETS);
    this.#recorder = new RefusalRecorder(options.audit, this.#clock);
  }

  /** Buckets held now (for tests and metrics). */
  get size(): number {
    return this.#buckets.size;
  }

  async take(subject: string, action: RateLimitedAction | string, cost?: number): Promise<void> {
    const n = checkTake(subject, action, cost);
    const limit = this.#limits.get(action);
    if (limit === undefined) {
      this.#recorder.allowed();
      return;
    }
    if (n > limit.burst) throw this.#recorder.refuse(subject, action, limit, n, 0);
    const retryAfterMs = this.#buckets.spend(`${action}\0${subject}`, limit, n, this.#clock());
    if (retryAfterMs > 0) throw this.#recorder.refuse(subject, action, limit, n, retryAfterMs);
    this.#recorder.allowed();
  }

  stats(): RateLimiterStats {
    return this.#recorder.stats();
  }
}
