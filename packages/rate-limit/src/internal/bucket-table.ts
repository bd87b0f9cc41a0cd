/**
 * The in-memory buckets, bounded. A Map in least-recently-used order (a take moves its bucket to
 * the end) gives both bounds without a timer: each take looks at the two oldest buckets and drops
 * those that have refilled (a full bucket is the same as none), so memory follows the subjects
 * active in the last burst/rate seconds; and above `maxBuckets` the oldest is dropped even if not
 * full, which at worst forgives that idle subject's debt (counted as `evictedEarly`).
 */
import type { RateLimit } from '../rate-limit-config.ts';
import { type Bucket, fullBucket, isFull, spend } from './token-bucket.ts';

interface Entry {
  readonly bucket: Bucket;
  readonly limit: RateLimit;
}

const SWEEP_PER_TAKE = 2;

/**
 * The default cap: about 14 MB at the ~700 bytes a bucket measured (key string, Map slot, two
 * objects). The sweep keeps the table at the subjects active in the last few seconds, so the cap
 * only matters when more than this many subjects are active at once.
 */
export const DEFAULT_MAX_BUCKETS = 20_000;

/** Token buckets keyed by subject and action, at most `maxBuckets` of them. */
export class BucketTable {
  readonly #entries = new Map<string, Entry>();
  readonly #maxBuckets: number;
  #evictedEarly = 0;

  constructor(maxBuckets: number) {
    if (!Number.isInteger(maxBuckets) || maxBuckets < 1) {
      throw new RangeError(`maxBuckets must be a positive integer, got ${maxBuckets}`);
    }
    this.#maxBuckets = maxBuckets;
  }

  /** Buckets held now. */
  get size(): number {
    return this.#entries.size;
  }

  /** Buckets dropped before they had refilled, to stay under `maxBuckets`. */
  get evictedEarly(): number {
    return this.#evictedEarly;
  }

  /** Spends `cost` from the bucket at `key`: 0 when allowed, else the retry-after in ms. */
  spend(key: string, limit: RateLimit, cost: number, nowMs: number): number {
    this.#sweep(nowMs);
    let entry = this.#entries.get(key);
    if (entry === undefined || entry.limit !== limit) {
      entry = { bucket: fullBucket(limit, nowMs), limit };
    } else {
      this.#entries.delete(key);
    }
    this.#entries.set(key, entry);
    if (this.#entries.size > this.#maxBuckets) this.#evictOldest(nowMs);
    return spend(entry.bucket, limit, cost, nowMs);
  }

  #sweep(nowMs: number): void {
    let looked = 0;
    for (const [key, entry] of this.#entries) {
      if (looked++ === SWEEP_PER_TAKE || !isFull(entry.bucket, entry.limit, nowMs)) return;
      this.#entries.delete(key);
    }
  }

  #evictOldest(nowMs: number): void {
    for (const [key, entry] of this.#entries) {
      if (!isFull(entry.bucket, entry.limit, nowMs)) this.#evictedEarly++;
      this.#entries.delete(key);
      return;
    }
  }
}
