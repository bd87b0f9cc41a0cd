/**
 * The message format between WorkerVerifyPool and its worker threads (`verify-worker.js`): a
 * request's byte strings packed into one ArrayBuffer that is transferred, not cloned.
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

/**
 * A request as posted to the worker: the four byte strings packed, in this order, into one
 * ArrayBuffer that is transferred, not cloned. Posting the caller's Uint8Arrays would clone each
 * one's whole backing ArrayBuffer — for bytes decoded from a gRPC message, the entire message or
 * a pooled slab — which cost more main-thread time than the verification itself.
 */
export interface PackedVerifyRequest {
  readonly id: number;
  readonly algorithm: VerifyRequest['algorithm'];
  readonly bytes: ArrayBuffer;
  readonly publicKeyLength: number;
  readonly messageLength: number;
  readonly signatureLength: number;
  /** -1 when there is no context (as opposed to an empty one). */
  readonly contextLength: number;
}

/** Packs a request into one fresh ArrayBuffer (see PackedVerifyRequest). */
export function packVerifyRequest(request: VerifyRequest): PackedVerifyRequest {
  const { publicKey, message, signature, context } = request;
  const bytes = new Uint8Array(
    publicKey.length + message.length + signature.length + (context?.length ?? 0),
  );
  bytes.set(publicKey, 0);
  bytes.set(message, publicKey.length);
  bytes.set(signature, publicKey.length + message.length);
  if (context !== undefined)
    bytes.set(context, publicKey.length + message.length + signature.length);
  return {
    id: request.id,
    algorithm: request.algorithm,
    bytes: bytes.buffer,
    publicKeyLength: publicKey.length,
    messageLength: message.length,
    signatureLength: signature.length,
    contextLength: context === undefined ? -1 : context.length,
  };
}
