/**
 * The rotation scheduler: finds sessions whose scheduled rotation is due, leaves each owner a
 * rotation notice (which the SDK acts on by uploading a new session key), and ends grace periods
 * on time. Safe to run in every instance at once: the store's `claimDueRotations` hands each due
 * session to exactly one caller, and re-arms it `retryMs` later so an agent that misses the notice
 * is reminded.
 */
import { AUDIT_ACTIONS, type AuditSink } from '@proof-messenger/audit-log';
import type { KeyManagementStores, Logger } from './context.ts';

export interface RotationSchedulerOptions {
  readonly stores: Pick<KeyManagementStores, 'sessions'>;
  readonly audit: AuditSink;
  readonly log: Logger;
  readonly now: () => number;
  /** How often to run; 0 disables the timer (runOnce still works). */
  readonly intervalMs: number;
  /** Most sessions claimed per run. */
  readonly batchSize?: number;
  /** When to remind an owner who has not rotated yet. */
  readonly retryMs?: number;
}

export interface RotationRun {
  readonly claimed: number;
  readonly expired: number;
}

export class RotationScheduler {
  readonly #options: RotationSchedulerOptions;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<RotationRun> | undefined;

  constructor(options: RotationSchedulerOptions) {
    this.#options = options;
  }

  /** One pass: claim due sessions (notices are recorded by the store), then expire grace keys. */
  async runOnce(): Promise<RotationRun> {
    const { stores, audit, now, batchSize = 500, retryMs = 15 * 60_000 } = this.#options;
    const at = now();
    let claimed = 0;
    for (;;) {
      const due = await stores.sessions.claimDueRotations(at, batchSize, retryMs);
      for (const session of due) {
        audit.record({
          timeMs: at,
          actor: 'service:key-management',
          action: AUDIT_ACTIONS.sessionRotationDue,
          target: `${session.ownerId}->${session.peerId}`,
          outcome: 'success',
          reason: '',
          details: { keyId: session.keyId, dueAtMs: String(session.dueAtMs) },
        });
      }
      claimed += due.length;
      if (due.length < batchSize) break;
    }
    const expired = await stores.sessions.expireGraceKeys(at);
    if (claimed > 0 || expired > 0)
      this.#options.log.info({ claimed, expired }, 'rotation scheduler run');
    return { claimed, expired };
  }

  /** Runs on a timer until stop(); a failing run is logged and retried next tick. */
  start(): void {
    if (this.#options.intervalMs <= 0 || this.#timer !== undefined) return;
    this.#timer = setInterval(() => {
      if (this.#running !== undefined) return;
      this.#running = this.runOnce()
        .catch((error: unknown) => {
          this.#options.log.error({ err: error }, 'rotation scheduler run failed');
          return { claimed: 0, expired: 0 };
        })
        .finally(() => {
          this.#running = undefined;
        });
    }, this.#options.intervalMs);
    this.#timer.unref();
  }

  /** Stops the timer and waits for a run in progress. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }
}
