/**
 * What both limiters do around a decision: check the arguments, count, build the refusal the
 * client sees, and audit refusals at most once per second per subject and action. The throttle
 * keeps, per subject+action, when it last wrote and how many refusals it held back since; the
 * next entry carries that count (`details.refusals`), so the log still says how hard a subject
 * pushed without one entry per refused request. Throttling is per process: with N instances a
 * subject can cause up to N entries per second.
 */
import { AUDIT_ACTIONS, type AuditSink } from '@proof-messenger/audit-log';
import { RateLimitedError } from '@proof-messenger/errors';
import { formatRate, type RateLimit } from '../rate-limit-config.ts';
import type { RateLimiterStats } from '../rate-limiter.ts';

const AUDIT_INTERVAL_MS = 1000;
/** Throttle entries kept; beyond it the oldest is forgotten (costing at most one extra entry). */
const MAX_THROTTLED = 10_000;

interface Throttle {
  lastMs: number;
  heldBack: number;
}

/** Counters, the audit throttle and the refusal error, shared by both limiters. */
export class RefusalRecorder {
  readonly #audit: AuditSink | undefined;
  readonly #clock: () => number;
  readonly #throttles = new Map<string, Throttle>();
  readonly #refusedByAction: Record<string, number> = {};
  #allowed = 0;
  #refused = 0;
  #audited = 0;
  #auditSuppressed = 0;
  #unavailable = 0;

  constructor(audit: AuditSink | undefined, clock: () => number) {
    this.#audit = audit;
    this.#clock = clock;
  }

  /** Counts an allowed take. */
  allowed(): void {
    this.#allowed++;
  }

  /** Counts a take decided without the shared store. */
  unavailable(): void {
    this.#unavailable++;
  }

  /** Counts and audits one refusal and returns the error to throw. */
  refuse(
    subject: string,
    action: string,
    limit: RateLimit,
    cost: number,
    retryAfterMs: number,
  ): RateLimitedError {
    this.#refused++;
    this.#refusedByAction[action] = (this.#refusedByAction[action] ?? 0) + 1;
    const rate = formatRate(limit.ratePerSecond);
    this.#record(subject, action, rate, limit, retryAfterMs);
    const who = describeSubject(subject);
    const metadata = {
      action,
      limit: rate,
      ratePerSecond: String(limit.ratePerSecond),
      burst: String(limit.burst),
    };
    if (cost > limit.burst) {
      return new RateLimitedError(
        `${who}: one ${action} request costing ${cost} exceeds the burst of the ${action} limit (${rate}, burst ${limit.burst}); split it into requests costing at most ${limit.burst}`,
        { retryable: false, metadata: { ...metadata, cost: String(cost) } },
      );
    }
    return new RateLimitedError(
      `${who} exceeded the ${action} limit (${rate}, burst ${limit.burst}); retry after ${retryAfterMs} ms`,
      { retryAfterMs, metadata },
    );
  }

  stats(): RateLimiterStats {
    return {
      allowed: this.#allowed,
      refused: this.#refused,
      refusedByAction: { ...this.#refusedByAction },
      audited: this.#audited,
      auditSuppressed: this.#auditSuppressed,
      unavailable: this.#unavailable,
    };
  }

  #record(
    subject: string,
    action: string,
    rate: string,
    limit: RateLimit,
    retryAfterMs: number,
  ): void {
    if (this.#audit === undefined) return;
    const key = `${action}\0${subject}`;
    const now = this.#clock();
    const throttle = this.#throttles.get(key);
    if (throttle !== undefined && now - throttle.lastMs < AUDIT_INTERVAL_MS) {
      throttle.heldBack++;
      this.#auditSuppressed++;
      return;
    }
    const refusals = 1 + (throttle?.heldBack ?? 0);
    this.#throttles.delete(key);
    this.#throttles.set(key, { lastMs: now, heldBack: 0 });
    this.#forgetStale(now);
    this.#audited++;
    this.#audit.record({
      actor: subject,
      action: AUDIT_ACTIONS.rateLimited,
      target: action,
      outcome: 'denied',
      reason: 'rate limit',
      details: {
        limit: rate,
        burst: String(limit.burst),
        retryAfterMs: String(retryAfterMs),
        refusals: String(refusals),
      },
    });
  }

  /** Drops throttles older than the interval (oldest first), and the oldest above the cap. */
  #forgetStale(now: number): void {
    for (const [key, throttle] of this.#throttles) {
      const stale = now - throttle.lastMs >= AUDIT_INTERVAL_MS && throttle.heldBack === 0;
      if (!stale && this.#throttles.size <= MAX_THROTTLED) return;
      this.#throttles.delete(key);
    }
  }
}

/**
 * Checks `take`'s arguments; returns the cost.
 * @throws TypeError for an empty subject or action; RangeError for a cost that is not a positive
 *   integer
 */
export function checkTake(subject: string, action: string, cost: number | undefined): number {
  if (typeof subject !== 'string' || subject === '') {
    throw new TypeError('rate limit subject must be a non-empty string');
  }
  if (typeof action !== 'string' || action === '') {
    throw new TypeError('rate limit action must be a non-empty string');
  }
  const n = cost ?? 1;
  if (!Number.isSafeInteger(n) || n < 1) {
    throw new RangeError(`rate limit cost must be a positive integer, got ${cost}`);
  }
  return n;
}

/** `agent alice` for an agent id; prefixed subjects (`operator:bob`) as they are. */
function describeSubject(subject: string): string {
  return /^[a-z]+:/.test(subject) ? subject : `agent ${subject}`;
}
