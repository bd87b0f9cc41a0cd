/**
 * Background work of the envelope processor: expiry and dead-letter notices for messages whose
 * recipients are not receiving (the queue reports each once), and pruning the replay guard's
 * memory past its horizon. Runs in every instance; the queue and the guard make each piece of work
 * happen once.
 */
import type { EnvelopeProcessorContext } from './context.ts';
import { noticesFor } from './notices.ts';

export class Housekeeping {
  readonly #ctx: EnvelopeProcessorContext;
  readonly #intervalMs: number;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;

  constructor(ctx: EnvelopeProcessorContext, intervalMs: number) {
    this.#ctx = ctx;
    this.#intervalMs = intervalMs;
  }

  /** One pass; returns how many notices were sent and replay records pruned. */
  async runOnce(): Promise<{ notices: number; pruned: number }> {
    const now = this.#ctx.now();
    const events = await this.#ctx.queue.collectExpired(now, 1000);
    await noticesFor(this.#ctx, events);
    const pruned = await this.#ctx.replay.prune(now);
    return { notices: events.filter((event) => event.message.kind === 'envelope').length, pruned };
  }

  start(): void {
    if (this.#intervalMs <= 0 || this.#timer !== undefined) return;
    this.#timer = setInterval(() => {
      if (this.#running !== undefined) return;
      this.#running = this.runOnce()
        .then(() => undefined)
        .catch((error: unknown) => this.#ctx.log.error({ err: error }, 'housekeeping failed'))
        .finally(() => {
          this.#running = undefined;
        });
    }, this.#intervalMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }
}
