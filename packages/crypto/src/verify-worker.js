// @ts-check
/**
 * Worker thread body of WorkerVerifyPool: verifies ML-DSA-65 and Ed25519 signatures with
 * node:crypto's synchronous calls. Node 24 runs ML-DSA verification with a context string on the
 * calling thread even through the callback API, so the pool moves it off the event loop by running
 * it here. Public keys are parsed once and kept in a small cache (servers see the same senders
 * again and again). The message format is `internal/packed-verify-request.ts`.
 *
 * Plain JavaScript on purpose (with JSDoc types): a worker that loads a .ts file starts Node's
 * type stripper (amaro, a WebAssembly build of swc) in its own isolate, which measured about
 * 15 MiB more RSS per worker (≈31 vs ≈16 MiB) for a file that needs no types at run time.
 */
import { createPublicKey, verify } from 'node:crypto';
import { parentPort } from 'node:worker_threads';

/** @typedef {import('./internal/packed-verify-request.ts').PackedVerifyRequest} PackedVerifyRequest */

const MAX_KEYS = 4096;
/** @type {Map<string, import('node:crypto').KeyObject>} */
const keys = new Map();

/**
 * @param {PackedVerifyRequest['algorithm']} algorithm
 * @param {Buffer} raw
 */
function keyFor(algorithm, raw) {
  // Keyed by the exact bytes (not by object identity), so a reused array can never hit a wrong key.
  const cacheKey = `${algorithm}:${raw.toString('latin1')}`;
  let key = keys.get(cacheKey);
  if (key === undefined) {
    key = createPublicKey(
      /** @type {never} */ ({ key: raw, format: 'raw-public', asymmetricKeyType: algorithm }),
    );
    if (keys.size >= MAX_KEYS) keys.delete(keys.keys().next().value ?? '');
    keys.set(cacheKey, key);
  }
  return key;
}

/**
 * @param {PackedVerifyRequest} request
 * @returns {boolean}
 */
function check(request) {
  try {
    let offset = 0;
    /** @param {number} length */
    const take = (length) => {
      const view = Buffer.from(request.bytes, offset, length);
      offset += length;
      return view;
    };
    const key = keyFor(request.algorithm, take(request.publicKeyLength));
    const message = take(request.messageLength);
    const signature = take(request.signatureLength);
    const input =
      request.contextLength < 0
        ? key
        : /** @type {never} */ ({ key, context: take(request.contextLength) });
    return verify(null, message, input, signature);
  } catch {
    return false; // malformed key or signature: does not verify
  }
}

parentPort?.on('message', (/** @type {PackedVerifyRequest} */ request) => {
  parentPort?.postMessage({ id: request.id, ok: check(request) });
});
