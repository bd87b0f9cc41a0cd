/**
 * Coalesces concurrent writes into batches: each `submit` is one item, and items that arrive
 * together go to the database as one statement. A SendMessages call's envelopes finish
 * verification in the same turn of the event loop, so their replay records become one INSERT
 * instead of 32 round trips to PostgreSQL (each costing the event loop a query's encoding, a
 * socket write, a read and the pool's bookkeeping).
 *
 * Items wait for the end of the current event-loop turn (setImmediate: every promise continuation
 * of the turn has run by then, so a burst is one batch), and while `maxInFlight` batches are
 * running; a batch takes at most `maxBatch` items, oldest first. Each item's promise settles with
 * its own result, or with the batch's error when the batch fails.
 */

/** Runs one batch: resolves with one result per item, in order. */
export type BatchWriter<T, R> = (items: readonly T[]) => Promise<readonly R[]>;

interface Waiting<T, R> {
  readonly item: T;
  readonly resolve: (result: R) => void;
  readonly reject: (error: unknown) => void;
}

export class WriteCoalescer<T, R> {
  readonly #write: BatchWriter<T, R>;
  readonly #maxBatch: number;
  readonly #maxInFlight: number;
  #waiting: Waiting<T, R>[] = [];
  #inFlight = 0;
  #scheduled = false;

  /**
   * @param write runs a batch (at most `maxBatch` items)
   * @throws RangeError when a limit is not a positive integer
   */
  constructor(write: BatchWriter<T, R>, options: { maxBatch: number; maxInFlight: number }) {
    for (const [name, value] of Object.entries(options)) {
      if (!Number.isInteger(value) || value < 1) {
        throw new RangeError(`${name} must be a positive integer, got ${value}`);
      }
    }
    this.#write = write;
    this.#maxBatch = options.maxBatch;
    this.#maxInFlight = options.maxInFlight;
  }

  /** Writes `item` in a batch with whatever else is waiting; resolves with its result. */
  submit(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.#waiting.push({ item, resolve, reject });
      this.#schedule();
    });
  }

  #schedule(): void {
    if (this.#scheduled || this.#inFlight >= this.#maxInFlight || this.#waiting.length === 0) {
      return;
    }
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      while (this.#inFlight < this.#maxInFlight && this.#waiting.length > 0) {
        void this.#run(this.#waiting.splice(0, this.#maxBatch));
      }
    });
  }

  async #run(batch: Waiting<T, R>[]): Promise<void> {
    this.#inFlight++;
    try {
      const results = await this.#write(batch.map((waiting) => waiting.item));
      if (results.length !== batch.length) {
        throw new Error(`a batch of ${batch.length} writes returned ${results.length} results`);
      }
      for (let i = 0; i < batch.length; i++) batch[i]?.resolve(results[i] as R);
    } catch (error) {
      for (const waiting of batch) waiting.reject(error);
    } finally {
      this.#inFlight--;
      this.#schedule();
    }
  }
}
