/**
 * The AuditSink services record through. `record` is synchronous and never throws, so an RPC never
 * waits on or fails because of the audit log. Behind it:
 *
 * - Validation first: each event is dry-run encoded; an invalid one is logged and counted as
 *   `rejected`, never thrown and never queued (so it cannot poison a batch later).
 * - Batching: events are queued and appended in batches, one transaction each, when `batchSize`
 *   (default 256) are waiting or `flushIntervalMs` (default 20) after the first; while a batch is
 *   being written the next one gathers, so under load batches grow by themselves.
 * - Retries: when the store fails (database down, failover), the same batch is retried with
 *   exponential backoff (50 ms doubling to 5 s) until it is stored, so order is kept.
 * - A bound: at most `maxPending` (default 10,000) events wait; beyond that events are counted as
 *   `dropped` and one warning is logged per burst, so an outage costs memory only up to the bound.
 *
 * What is lost on a crash: every event not yet stored — at most the batch in flight plus those
 * queued behind it (≤ maxPending). Call `flush()` where an event must be durable before going on,
 * and `close()` on shutdown. The timers are unref'ed: a recorder never keeps a process alive.
 */
import { InvalidArgumentError, UnavailableError } from '@proof-messenger/errors';
import { checkAuditEntryFields } from './audit-entry.ts';
import { type AuditLogger, SILENT_AUDIT_LOGGER } from './audit-logger.ts';
import type { AuditEvent, AuditSink } from './audit-sink.ts';
import type { AuditTrail } from './audit-trail.ts';
import type { AuditEntryInput } from './memory-audit-log.ts';

/** How an AuditRecorder is set up. */
export interface AuditRecorderOptions {
  /** Where batches go (an AuditTrail, or anything with its append). */
  readonly trail: Pick<AuditTrail, 'append'>;
  /** The time of events that carry none, ms since the Unix epoch (default Date.now). */
  readonly now?: () => number;
  readonly logger?: AuditLogger;
  /** Longest wait before a partial batch is written, in ms (default 20). */
  readonly flushIntervalMs?: number;
  /** Events per batch, and the queue length that starts a write at once (default 256). */
  readonly batchSize?: number;
  /** Most events waiting to be stored; more are dropped (default 10,000). */
  readonly maxPending?: number;
  /** First retry delay after a store failure, in ms (default 50); doubles up to retryMaxMs. */
  readonly retryInitialMs?: number;
  /** Longest retry delay, in ms (default 5000). */
  readonly retryMaxMs?: number;
}

/** Counters of a recorder since it was made. */
export interface AuditRecorderStats {
  /** Events accepted into the queue. */
  readonly recorded: number;
  /** Events stored in the log. */
  readonly stored: number;
  /** Events refused as invalid (never queued). */
  readonly rejected: number;
  /** Valid events not queued because the queue was full or the recorder closed. */
  readonly dropped: number;
  /** Events accepted and not yet stored. */
  readonly pending: number;
}

interface Waiter {
  readonly target: number;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  const result = value ?? fallback;
  if (!Number.isSafeInteger(result) || result < 1) {
    throw new RangeError(`${name} must be a positive integer, got ${result}`);
  }
  return result;
}

/** The event as an entry input, checked (as the encoding will check it), then copied. */
function toInput(event: AuditEvent, nowMs: number): AuditEntryInput {
  const raw = {
    timeMs: event.timeMs ?? nowMs,
    actor: event.actor,
    action: event.action,
    target: event.target,
    outcome: event.outcome,
    reason: event.reason ?? '',
    details: event.details ?? {},
    messageIds: event.messageIds ?? [],
    messageHashes: event.messageHashes ?? [],
  };
  checkAuditEntryFields(raw);
  return {
    ...raw,
    details: { ...raw.details },
    messageIds: [...raw.messageIds],
    messageHashes: raw.messageHashes.map((hash) => hash.slice()),
  };
}

function describeAction(event: unknown): string {
  const action =
    typeof event === 'object' && event !== null ? Reflect.get(event, 'action') : undefined;
  return typeof action === 'string' ? action.slice(0, 100) : typeof action;
}

/** Batches audit events into an AuditTrail; see the module header. */
export class AuditRecorder implements AuditSink {
  readonly #trail: Pick<AuditTrail, 'append'>;
  readonly #now: () => number;
  readonly #logger: AuditLogger;
  readonly #flushIntervalMs: number;
  readonly #batchSize: number;
  readonly #maxPending: number;
  readonly #retryInitialMs: number;
  readonly #retryMaxMs: number;

  readonly #queue: AuditEntryInput[] = [];
  #waiters: Waiter[] = [];
  #recorded = 0;
  #stored = 0;
  /** Accepted events that are done with: stored, or refused by the store as invalid. */
  #settled = 0;
  #rejected = 0;
  #dropped = 0;
  #dropBurst = 0;
  #failures = 0;
  #timer: NodeJS.Timeout | undefined;
  #draining: Promise<void> | undefined;
  #backoff: { timer: NodeJS.Timeout; wake: () => void } | undefined;
  #closed = false;
  #stopped = false;

  /** @throws RangeError when a size or interval option is not a positive integer */
  constructor(options: AuditRecorderOptions) {
    this.#trail = options.trail;
    this.#now = options.now ?? Date.now;
    this.#logger = options.logger ?? SILENT_AUDIT_LOGGER;
    this.#flushIntervalMs = positiveInteger('flushIntervalMs', options.flushIntervalMs, 20);
    this.#batchSize = positiveInteger('batchSize', options.batchSize, 256);
    this.#maxPending = positiveInteger('maxPending', options.maxPending, 10_000);
    this.#retryInitialMs = positiveInteger('retryInitialMs', options.retryInitialMs, 50);
    this.#retryMaxMs = positiveInteger('retryMaxMs', options.retryMaxMs, 5000);
  }

  /** Queues one event; never throws (invalid → rejected, no room or closed → dropped). */
  record(event: AuditEvent): void {
    try {
      let input: AuditEntryInput;
      try {
        input = toInput(event, this.#now());
      } catch (error) {
        this.#rejected++;
        this.#logger.warn(
          { action: describeAction(event), error },
          'audit event rejected as invalid; fix the code that records it',
        );
        return;
      }
      if (this.#closed || this.#queue.length >= this.#maxPending) {
        this.#dropped++;
        if (this.#dropBurst++ === 0) {
          this.#logger.error(
            { pending: this.#queue.length, closed: this.#closed },
            this.#closed
              ? 'audit event dropped: the recorder is closed'
              : `audit events dropped: ${this.#maxPending} are waiting for the store; dropping until it catches up`,
          );
        }
        return;
      }
      if (this.#dropBurst > 0) {
        this.#logger.warn({ dropped: this.#dropBurst }, 'audit recorder accepting events again');
        this.#dropBurst = 0;
      }
      this.#queue.push(input);
      this.#recorded++;
      this.#schedule();
    } catch (error) {
      // Defensive: nothing above should throw, and record must not.
      this.#logger.error({ error }, 'audit recorder failed to queue an event');
    }
  }

  /**
   * Resolves when every event recorded before the call is stored.
   * @throws UnavailableError when the recorder is closed before they could be stored
   */
  flush(): Promise<void> {
    const target = this.#recorded;
    if (this.#settled >= target) return Promise.resolve();
    if (this.#stopped) {
      return Promise.reject(new UnavailableError('the audit recorder is closed'));
    }
    const done = new Promise<void>((resolve, reject) => {
      this.#waiters.push({ target, resolve, reject });
    });
    // Someone waits: a pending retry should keep the process alive now.
    this.#backoff?.timer.ref();
    this.#startDrain();
    return done;
  }

  /**
   * Stops accepting events, stores what is queued (waiting at most `timeoutMs`, default 10 s,
   * for a store that is down), then stops. Events still unstored then are lost, and logged.
   */
  async close(timeoutMs = 10_000): Promise<void> {
    this.#closed = true;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    });
    try {
      await Promise.race([this.flush().catch(() => undefined), timeout]);
    } finally {
      clearTimeout(timer);
    }
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#backoff?.wake();
    const lost = this.#queue.length;
    if (lost > 0) {
      this.#logger.error({ lost }, 'audit recorder closed before the store took every event');
    }
    const error = new UnavailableError('the audit recorder closed before the events were stored');
    for (const waiter of this.#waiters.splice(0)) waiter.reject(error);
  }

  /** The counters; `pending` includes the batch being written. */
  stats(): AuditRecorderStats {
    return {
      recorded: this.#recorded,
      stored: this.#stored,
      rejected: this.#rejected,
      dropped: this.#dropped,
      pending: this.#queue.length,
    };
  }

  #schedule(): void {
    if (this.#draining !== undefined) return; // the running drain takes new events as well
    if (this.#queue.length >= this.#batchSize) {
      this.#startDrain();
    } else if (this.#timer === undefined) {
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        this.#startDrain();
      }, this.#flushIntervalMs);
      this.#timer.unref();
    }
  }

  #startDrain(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#draining ??= this.#drain().finally(() => {
      this.#draining = undefined;
      if (this.#queue.length > 0 && !this.#stopped) this.#schedule();
    });
  }

  async #drain(): Promise<void> {
    while (this.#queue.length > 0 && !this.#stopped) {
      const batch = this.#queue.slice(0, this.#batchSize);
      try {
        await this.#trail.append(batch);
      } catch (error) {
        if (error instanceof InvalidArgumentError) {
          // Cannot happen for events that passed the dry run unless the store adds limits of its
          // own; retrying would block the queue forever, so the batch is refused as a whole.
          this.#queue.splice(0, batch.length);
          this.#rejected += batch.length;
          this.#settle(batch.length, 0);
          this.#logger.error(
            { error, events: batch.length },
            'audit store refused a batch as invalid; its events are counted as rejected',
          );
          continue;
        }
        this.#failures++;
        const delayMs = Math.min(
          this.#retryInitialMs * 2 ** Math.min(this.#failures - 1, 30),
          this.#retryMaxMs,
        );
        this.#logger.warn(
          { error, attempt: this.#failures, retryInMs: delayMs, pending: this.#queue.length },
          'audit store append failed; retrying the same batch',
        );
        await this.#sleep(delayMs);
        continue;
      }
      this.#queue.splice(0, batch.length);
      if (this.#failures > 0) {
        this.#logger.warn({ attempts: this.#failures + 1 }, 'audit store append recovered');
        this.#failures = 0;
      }
      this.#settle(batch.length, batch.length);
    }
  }

  #settle(count: number, stored: number): void {
    this.#settled += count;
    this.#stored += stored;
    const waiting: Waiter[] = [];
    for (const waiter of this.#waiters) {
      if (waiter.target <= this.#settled) waiter.resolve();
      else waiting.push(waiter);
    }
    this.#waiters = waiting;
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.#backoff = undefined;
        resolve();
      };
      const timer = setTimeout(wake, ms);
      if (this.#waiters.length === 0) timer.unref();
      this.#backoff = { timer, wake };
    });
  }
}
