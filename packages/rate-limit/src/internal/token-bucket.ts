/**
 * Token-bucket arithmetic, shared by the in-memory limiter and its Redis script (which repeats
 * these lines in Lua; a change here must be made there too). Times are milliseconds on any
 * clock that does not jump; a clock that goes backwards refills nothing rather than going
 * negative. Tokens are doubles: EPSILON absorbs the rounding of fractional refills so that the
 * advertised retry-after is exact (waiting exactly `retryAfterMs` makes the request pass).
 */
import type { RateLimit } from '../rate-limit-config.ts';

/** A bucket's state: tokens held at `updatedMs`. */
export interface Bucket {
  tokens: number;
  updatedMs: number;
}

const EPSILON = 1e-9;

/** A bucket that has been idle long enough to be full. */
export function fullBucket(limit: RateLimit, nowMs: number): Bucket {
  return { tokens: limit.burst, updatedMs: nowMs };
}

/** Adds the tokens earned since the last update, capped at the burst. */
export function refill(bucket: Bucket, limit: RateLimit, nowMs: number): void {
  const elapsedMs = nowMs - bucket.updatedMs;
  if (elapsedMs > 0) {
    bucket.tokens = Math.min(limit.burst, bucket.tokens + (elapsedMs * limit.ratePerSecond) / 1000);
    bucket.updatedMs = nowMs;
  }
}

/**
 * Refills, then spends `cost` tokens if the bucket holds them: 0 when allowed, else the
 * milliseconds (>= 1) until it will hold them. `cost` must not exceed the burst.
 */
export function spend(bucket: Bucket, limit: RateLimit, cost: number, nowMs: number): number {
  refill(bucket, limit, nowMs);
  if (bucket.tokens + EPSILON >= cost) {
    bucket.tokens = Math.max(0, bucket.tokens - cost);
    return 0;
  }
  return Math.max(1, Math.ceil(((cost - bucket.tokens) * 1000) / limit.ratePerSecond - 1e-6));
}

/** Whether the bucket would be full at `nowMs`, i.e. forgetting it changes nothing. */
export function isFull(bucket: Bucket, limit: RateLimit, nowMs: number): boolean {
  const elapsedMs = Math.max(0, nowMs - bucket.updatedMs);
  return bucket.tokens + (elapsedMs * limit.ratePerSecond) / 1000 + EPSILON >= limit.burst;
}
