/**
 * A least-recently-used map bounded by entry count: a JavaScript Map keeps insertion order, so
 * re-inserting on every hit keeps the oldest entry first and eviction takes it from the front.
 */
export class LruCache<V> {
  readonly #capacity: number;
  readonly #entries = new Map<string, V>();

  /** @param capacity most entries kept; 0 keeps nothing */
  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  get size(): number {
    return this.#entries.size;
  }

  get(key: string): V | undefined {
    const value = this.#entries.get(key);
    if (value === undefined) return undefined;
    this.#entries.delete(key);
    this.#entries.set(key, value);
    return value;
  }

  set(key: string, value: V): void {
    if (this.#capacity === 0) return;
    this.#entries.delete(key);
    this.#entries.set(key, value);
    if (this.#entries.size > this.#capacity) {
      const oldest = this.#entries.keys().next();
      if (!oldest.done) this.#entries.delete(oldest.value);
    }
  }

  clear(): void {
    this.#entries.clear();
  }
}
