/**
 * A bounded memory of recently settled message ids, for the client's duplicate suppression. An id
 * is forgotten when more than `maxEntries` newer ids were remembered after it, or when it is older
 * than `maxAgeMs` — whichever comes first — so memory stays bounded however long the agent runs.
 * Caveat: it lives in memory only; after a restart the server's replay guard is what remains.
 */
export class RecentIds {
  readonly #maxEntries: number;
  readonly #maxAgeMs: number;
  readonly #now: () => number;
  /** id → when it was remembered; Map keeps insertion order, so the oldest come first. */
  readonly #seen = new Map<string, number>();

  constructor(maxEntries: number, maxAgeMs: number, now: () => number) {
    this.#maxEntries = maxEntries;
    this.#maxAgeMs = maxAgeMs;
    this.#now = now;
  }

  /** Whether `id` was remembered within the window. */
  has(id: string): boolean {
    this.#prune();
    return this.#seen.has(id);
  }

  /** Remembers `id` (again) as of now. */
  add(id: string): void {
    this.#seen.delete(id);
    this.#seen.set(id, this.#now());
    this.#prune();
  }

  get size(): number {
    return this.#seen.size;
  }

  #prune(): void {
    const oldest = this.#now() - this.#maxAgeMs;
    for (const [id, at] of this.#seen) {
      if (this.#seen.size <= this.#maxEntries && at > oldest) break;
      this.#seen.delete(id);
    }
  }
}
