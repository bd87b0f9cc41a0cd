/**
 * A minimal FIFO async mutex. The SQLite driver needs one because node:sqlite's DatabaseSync is a
 * single connection: while a transaction awaits between its statements, any other statement on
 * that connection would silently run inside it (and be rolled back with it). Ownership is handed
 * directly to the next waiter on release, so `locked` stays true while anyone is queued and a
 * newcomer cannot overtake the queue.
 */
export class AsyncMutex {
  #locked = false;
  readonly #waiters: Array<() => void> = [];

  /** True while someone holds the lock (or it is being handed over). */
  get locked(): boolean {
    return this.#locked;
  }

  /** Waits for the lock; resolves with the function that releases it (call it exactly once). */
  async acquire(): Promise<() => void> {
    if (this.#locked) {
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    } else {
      this.#locked = true;
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.#waiters.shift();
      if (next === undefined) this.#locked = false;
      else next();
    };
  }
}
