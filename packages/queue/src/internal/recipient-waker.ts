/**
 * In-process wake-ups for receivers waiting on an empty queue: an EventEmitter keyed by recipient
 * id. `enqueue` wakes the recipient's waiters at once; a waiter also returns after its poll
 * interval (for redeliveries and for messages enqueued by another process) or when its signal
 * aborts. A wake-up only means "look again", never "a message is there", so missed or spurious
 * wake-ups cost at most one poll interval or one extra query.
 */
import { EventEmitter } from 'node:events';

/** Wakes receivers that wait for a recipient's messages. */
export class RecipientWaker {
  readonly #emitter = new EventEmitter();

  constructor() {
    // One listener per waiting receive; thousands may wait at once.
    this.#emitter.setMaxListeners(0);
  }

  /** Wakes every receiver currently waiting for `recipientId`. */
  wake(recipientId: string): void {
    this.#emitter.emit(recipientId);
  }

  /** Wakes every waiting receiver (on close). */
  wakeAll(): void {
    for (const name of this.#emitter.eventNames()) this.#emitter.emit(name);
  }

  /**
   * Resolves when `recipientId` is woken, after `ms`, or when `signal` aborts — whichever comes
   * first. Never rejects.
   */
  wait(recipientId: string, ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal?.aborted) {
        resolve();
        return;
      }
      const done = () => {
        clearTimeout(timer);
        this.#emitter.off(recipientId, done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      this.#emitter.on(recipientId, done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }
}
