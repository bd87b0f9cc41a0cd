/**
 * A minimal promise-chain mutex: tasks run one at a time, in call order. A key store runs every
 * operation through one, so a write never interleaves with another write (or with the read of the
 * state it replaces) within a process. A failed task does not block the ones after it.
 */

/** Runs async tasks one at a time, in the order they were given. */
export class AsyncMutex {
  #tail: Promise<unknown> = Promise.resolve();

  /** Runs `task` after every task given before it has settled; resolves or rejects as it does. */
  run<T>(task: () => Promise<T> | T): Promise<T> {
    const result = this.#tail.then(task);
    this.#tail = result.catch(() => undefined);
    return result;
  }
}
