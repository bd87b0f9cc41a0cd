/**
 * The rate-limiter port the services call before each limited action. Two adapters: an
 * in-memory token bucket for the embedded mode (one process) and a Redis one for the
 * distributed mode, where every instance draws on the same bucket. `createRateLimiter` picks.
 *
 * A refusal is a `RateLimitedError` (RESOURCE_EXHAUSTED, reason RATE_LIMITED) whose
 * `retryAfterMs` says when the same request would be allowed; the status mapper sends it to the
 * client as `retry_after_ms` of the ErrorDetail. Refusals are audited at most once per second
 * per subject and action, so a flood cannot flood the audit log.
 */
import type { RateLimitedAction } from './rate-limit-config.ts';

/** Counters since the limiter was built. */
export interface RateLimiterStats {
  /** Takes that were allowed (including actions without a limit). */
  readonly allowed: number;
  /** Takes refused with RateLimitedError. */
  readonly refused: number;
  /** `refused`, per action. */
  readonly refusedByAction: Readonly<Record<string, number>>;
  /** Refusals written to the audit sink. */
  readonly audited: number;
  /** Refusals not written because the same subject and action was audited within 1 s. */
  readonly auditSuppressed: number;
  /** Distributed only: takes decided without Redis (by the unavailable policy). */
  readonly unavailable: number;
}

/** Decides whether a subject may perform an action now. */
export interface RateLimiter {
  /**
   * Spends `cost` tokens (default 1, a positive integer) of `subject`'s bucket for `action`, or
   * refuses. An action without a configured limit is always allowed.
   * @param subject who acts: an agent id, or `operator:<name>` / `service:<name>` / `peer:<addr>`
   * @throws RateLimitedError when the bucket holds fewer than `cost` tokens, with `retryAfterMs`
   *   and metadata `action`, `limit`, `ratePerSecond`, `burst` (not retryable when `cost` exceeds
   *   the burst: such a request can never pass)
   * @throws UnavailableError in distributed mode when Redis is down and the policy is `deny`
   * @throws TypeError / RangeError for an empty subject or action or an invalid cost
   */
  take(subject: string, action: RateLimitedAction | string, cost?: number): Promise<void>;
  /** Counters since the limiter was built. */
  stats(): RateLimiterStats;
}
