/**
 * Worker thread body of WorkerVerifyPool: verifies ML-DSA-65 and Ed25519 signatures with
 * node:crypto's synchronous calls. Node 24 runs ML-DSA verification with a context string on the
 * calling thread even through the callback API, so the pool moves it off the event loop by running
 * it here. Public keys are parsed once and kept in a small cache (servers see the same senders
 * again and again).
 */
import { createPublicKey, type KeyObject, verify } from 'node:crypto';
import { parentPort } from 'node:worker_threads';

/** One verification request. */
export interface VerifyRequest {
  readonly id: number;
  readonly algorithm: 'ml-dsa-65' | 'ed25519';
  readonly publicKey: Uint8Array;
  readonly message: Uint8Array;
  readonly signature: Uint8Array;
  readonly context?: Uint8Array;
}

const MAX_KEYS = 4096;
const keys = new Map<string, KeyObject>();

function keyFor(algorithm: VerifyRequest['algorithm'], raw: Uint8Array): KeyObject {
  const cacheKey = `${algorithm}:${Buffer.from(raw).toString('base64')}`;
  let key = keys.get(cacheKey);
  if (key === undefined) {
    key = createPublicKey({
      key: Buffer.from(raw),
      format: 'raw-public',
      asymmetricKeyType: algorithm,
    } as never);
    if (keys.size >= MAX_KEYS) keys.delete(keys.keys().next().value ?? '');
    keys.set(cacheKey, key);
  }
  return key;
}

function check(request: VerifyRequest): boolean {
  try {
    const key = keyFor(request.algorithm, request.publicKey);
    const input =
      request.context === undefined ? key : ({ key, context: request.context } as never);
    return verify(null, request.message, input, request.signature);
  } catch {
    return false; // malformed key or signature: does not verify
  }
}

parentPort?.on('message', (request: VerifyRequest) => {
  parentPort?.postMessage({ id: request.id, ok: check(request) });
});
