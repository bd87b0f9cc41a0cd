/**
 * Signs checkpoints on a schedule: every `intervalMs` (default 10 s) it calls
 * `AuditTrail.checkpoint()`, which signs only when the log grew. Every instance holding the audit
 * key may run one; no leader election is needed because the store keeps one checkpoint per tree
 * size and refuses one that would go back, so concurrent schedulers only cost a wasted signature
 * now and then. Failures (database down) are logged and the next tick tries again; the scheduler
 * never throws into the process, and its timer is unref'ed.
 *
 * How much the schedule matters: entries after the latest checkpoint are covered by no signature
 * yet, so `intervalMs` bounds how long an appended entry can be rewritten without a verifier
 * noticing.
 */
import { type AuditLogger, SILENT_AUDIT_LOGGER } from './audit-logger.ts';
import type { AuditTrail } from './audit-trail.ts';
import type { SignedCheckpoint } from './checkpoint.ts';

/** How a CheckpointScheduler is set up. */
export interface CheckpointSchedulerOptions {
  readonly trail: Pick<AuditTrail, 'checkpoint'>;
  /** Time between checkpoint attempts, in ms (default 10,000). */
  readonly intervalMs?: number;
  readonly logger?: AuditLogger;
}

/** Calls trail.checkpoint() periodically; see the module header. */
export class CheckpointScheduler {
  readonly #trail: Pick<AuditTrail, 'checkpoint'>;
  readonly #intervalMs: number;
  readonly #logger: AuditLogger;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<SignedCheckpoint | undefined> | undefined;
  #started = false;

  /** @throws RangeError when intervalMs is not a positive integer */
  constructor(options: CheckpointSchedulerOptions) {
    const intervalMs = options.intervalMs ?? 10_000;
    if (!Number.isSafeInteger(intervalMs) || intervalMs < 1) {
      throw new RangeError(`intervalMs must be a positive integer, got ${intervalMs}`);
    }
    this.#trail = options.trail;
    this.#intervalMs = intervalMs;
    this.#logger = options.logger ?? SILENT_AUDIT_LOGGER;
  }

  /** Starts the schedule (the first attempt after one interval); a second call does nothing. */
  start(): void {
    if (this.#started) return;
    this.#started = true;
    this.#arm();
  }

  /** Stops the schedule and waits for an attempt in progress. */
  async stop(): Promise<void> {
    this.#started = false;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }

  /**
   * One attempt now: the latest checkpoint afterwards, or undefined when there is none or the
   * attempt failed (the failure is logged).
   */
  runOnce(): Promise<SignedCheckpoint | undefined> {
    this.#running ??= this.#trail
      .checkpoint()
      .catch((error: unknown) => {
        this.#logger.warn({ error }, 'audit checkpoint failed; retrying at the next interval');
        return undefined;
      })
      .finally(() => {
        this.#running = undefined;
      });
    return this.#running;
  }

  #arm(): void {
    this.#timer = setTimeout(async () => {
      await this.runOnce();
      if (this.#started) this.#arm();
    }, this.#intervalMs);
    this.#timer.unref();
  }
}
