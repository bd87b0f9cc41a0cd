/**
 * The message format between WorkerVerifyPool and its worker threads (`verify-worker.js`): the
 * requests the pool collected for one worker in one event-loop turn, in one message (one per
 * batch, not per signature: a message costs the event loop a few µs on both sides, about as much
 * as packing the bytes).
 *
 * Posting the callers' Uint8Arrays would clone each one's whole backing ArrayBuffer — for bytes
 * decoded from a gRPC message, the entire message or a pooled slab — so each request's byte
 * strings are copied into one buffer that is transferred, not cloned. The worker transfers it back
 * with the results and the builder fills it again: a fresh ArrayBuffer per batch (hundreds of KB,
 * zero-filled and page-faulted in by the kernel each time) measured about 3 % of the event loop's
 * time under load.
 */

/** One verification request, as the pool's callers give it. */
export interface VerifyRequest {
  readonly id: number;
  readonly algorithm: 'ml-dsa-65' | 'ed25519';
  readonly publicKey: Uint8Array;
  readonly message: Uint8Array;
  readonly signature: Uint8Array;
  readonly context?: Uint8Array;
}

/** Numbers per request in `PackedVerifyBatch.meta`. */
export const META_FIELDS = 6;

/** `algorithm` in `meta`. */
export const ALGORITHM_CODES = { 'ml-dsa-65': 0, ed25519: 1 } as const;

/**
 * A batch as posted to a worker. `meta` holds, per request: id, algorithm code, then the lengths
 * of public key, message, signature and context (-1: no context, as opposed to an empty one);
 * `bytes` holds every request's byte strings in that order, request after request (it may be
 * longer than they are). It is transferred, not cloned: one buffer per batch rather than one per
 * request, since each ArrayBuffer costs an allocation, a transfer on both sides and external
 * memory that V8's GC accounts for.
 */
export interface PackedVerifyBatch {
  readonly meta: Float64Array;
  readonly bytes: ArrayBuffer;
}

/**
 * What a worker answers: per request of the batch, in order, its id and 1 (valid) or 0; and the
 * batch's `bytes`, transferred back for reuse.
 */
export interface VerifyBatchResults {
  readonly results: Float64Array;
  readonly bytes: ArrayBuffer;
}

/** Smallest buffer a batch starts with; it doubles as requests come. */
const MIN_CAPACITY = 64 * 1024;

/**
 * Collects requests for one worker's next batch. Each request's byte strings are copied when it
 * is added (so a caller may reuse its arrays at once) into one growing buffer.
 */
export class PackedBatchBuilder {
  #bytes = new Uint8Array(0);
  #used = 0;
  #meta: number[] = [];
  /** Capacity of the last batch's buffer: a new one starts there. */
  #capacity = MIN_CAPACITY;
  /** A buffer a worker gave back, filled by the next batch instead of a new one. */
  #spare: ArrayBuffer | undefined;

  /** Requests added since the last `take`. */
  get size(): number {
    return this.#meta.length / META_FIELDS;
  }

  add(r: VerifyRequest): void {
    const { publicKey, message, signature, context } = r;
    const length = publicKey.length + message.length + signature.length + (context?.length ?? 0);
    this.#reserve(length);
    const at = this.#used;
    this.#bytes.set(publicKey, at);
    this.#bytes.set(message, at + publicKey.length);
    this.#bytes.set(signature, at + publicKey.length + message.length);
    if (context !== undefined) {
      this.#bytes.set(context, at + publicKey.length + message.length + signature.length);
    }
    this.#used = at + length;
    this.#meta.push(
      r.id,
      ALGORITHM_CODES[r.algorithm],
      publicKey.length,
      message.length,
      signature.length,
      context === undefined ? -1 : context.length,
    );
  }

  /** The batch of everything added so far; the builder starts empty again. */
  take(): PackedVerifyBatch {
    const batch = { meta: Float64Array.from(this.#meta), bytes: this.#bytes.buffer };
    this.#capacity = Math.max(MIN_CAPACITY, this.#bytes.length);
    this.#bytes = new Uint8Array(0);
    this.#used = 0;
    this.#meta = [];
    return batch;
  }

  /**
   * Hands back a batch's buffer (its contents are no longer needed) for a later batch to fill.
   * The larger of it and the one kept is kept.
   */
  recycle(bytes: ArrayBuffer): void {
    if (bytes.byteLength > (this.#spare?.byteLength ?? 0)) this.#spare = bytes;
  }

  #reserve(length: number): void {
    const needed = this.#used + length;
    if (needed <= this.#bytes.length) return;
    let grown: Uint8Array<ArrayBuffer>;
    const spare = this.#spare;
    if (
      spare !== undefined &&
      spare.byteLength >= needed &&
      spare.byteLength > this.#bytes.length
    ) {
      this.#spare = undefined;
      grown = new Uint8Array(spare);
    } else {
      let capacity = Math.max(this.#capacity, this.#bytes.length);
      while (capacity < needed) capacity *= 2;
      grown = new Uint8Array(capacity);
    }
    grown.set(this.#bytes.subarray(0, this.#used));
    this.#bytes = grown;
  }
}
