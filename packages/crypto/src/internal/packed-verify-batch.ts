/**
 * The message format between WorkerVerifyPool and its worker threads (`verify-worker.js`): the
 * requests the pool collected for one worker in one event-loop turn, in one message (one per
 * batch, not per signature: a message costs the event loop a few µs on both sides, about as much
 * as packing the bytes).
 *
 * Posting the callers' Uint8Arrays would clone each one's whole backing ArrayBuffer — for bytes
 * decoded from a gRPC message, the entire message or a pooled slab — so each request's byte
 * strings are copied into one fresh buffer that is transferred, not cloned.
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
 * `parts[i]` holds request i's byte strings in that order. Each part is packed when the request
 * is made (so a caller may reuse its arrays at once) and transferred, not cloned.
 */
export interface PackedVerifyBatch {
  readonly meta: Float64Array;
  readonly parts: ArrayBuffer[];
}

/** What a worker answers: per request of the batch, in order, its id and 1 (valid) or 0. */
export interface VerifyBatchResults {
  readonly results: Float64Array;
}

/** One request, packed (see PackedVerifyBatch). */
export interface PackedVerifyRequest {
  readonly meta: readonly number[];
  readonly bytes: ArrayBuffer;
}

/** Copies a request's byte strings into one fresh buffer. */
export function packVerifyRequest(r: VerifyRequest): PackedVerifyRequest {
  const { publicKey, message, signature, context } = r;
  const bytes = new Uint8Array(
    publicKey.length + message.length + signature.length + (context?.length ?? 0),
  );
  bytes.set(publicKey, 0);
  bytes.set(message, publicKey.length);
  bytes.set(signature, publicKey.length + message.length);
  if (context !== undefined) {
    bytes.set(context, publicKey.length + message.length + signature.length);
  }
  return {
    meta: [
      r.id,
      ALGORITHM_CODES[r.algorithm],
      publicKey.length,
      message.length,
      signature.length,
      context === undefined ? -1 : context.length,
    ],
    bytes: bytes.buffer,
  };
}

/** Joins packed requests into the batch one worker gets. */
export function packVerifyBatch(requests: readonly PackedVerifyRequest[]): PackedVerifyBatch {
  const meta = new Float64Array(requests.length * META_FIELDS);
  for (const [i, request] of requests.entries()) meta.set(request.meta, i * META_FIELDS);
  return { meta, parts: requests.map((request) => request.bytes) };
}
