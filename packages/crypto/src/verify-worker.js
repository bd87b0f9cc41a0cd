// @ts-check
/**
 * Worker thread body of WorkerVerifyPool: verifies ML-DSA-65 and Ed25519 signatures with
 * node:crypto's synchronous calls. Node 24 runs ML-DSA verification with a context string on the
 * calling thread even through the callback API, so the pool moves it off the event loop by running
 * it here. Public keys are parsed once and kept in a small cache (servers see the same senders
 * again and again). The message format is `internal/packed-verify-batch.ts`: one batch in, one
 * array of results out.
 *
 * Plain JavaScript on purpose (with JSDoc types): a worker that loads a .ts file starts Node's
 * type stripper (amaro, a WebAssembly build of swc) in its own isolate, which measured about
 * 15 MiB more RSS per worker (≈31 vs ≈16 MiB) for a file that needs no types at run time.
 */
import { createPublicKey, verify } from 'node:crypto';
import { parentPort } from 'node:worker_threads';

/** @typedef {import('./internal/packed-verify-batch.ts').PackedVerifyBatch} PackedVerifyBatch */

// Must match packed-verify-batch.ts (META_FIELDS, ALGORITHM_CODES).
const META_FIELDS = 6;
/** @type {ReadonlyArray<'ml-dsa-65' | 'ed25519'>} */
const ALGORITHMS = ['ml-dsa-65', 'ed25519'];

const MAX_KEYS = 4096;
/** Bytes of a public key that name its cache entry (all of an Ed25519 key, ML-DSA's seed rho). */
const KEY_PREFIX_BYTES = 32;
/** @type {Map<string, { raw: Buffer, key: import('node:crypto').KeyObject }>} */
const keys = new Map();

/**
 * @param {'ml-dsa-65' | 'ed25519'} algorithm
 * @param {Buffer} raw
 */
function keyFor(algorithm, raw) {
  // Named by a prefix and matched on the exact bytes (never by object identity, so a reused array
  // can never hit a wrong key). A string of the whole 1,952-byte ML-DSA key per verification
  // measured ~1.6 KB of garbage each; two different keys with one prefix just replace each other.
  const cacheKey = `${algorithm}:${raw.toString('latin1', 0, KEY_PREFIX_BYTES)}`;
  const cached = keys.get(cacheKey);
  if (cached?.raw.equals(raw)) return cached.key;
  const key = createPublicKey(
    /** @type {never} */ ({ key: raw, format: 'raw-public', asymmetricKeyType: algorithm }),
  );
  if (cached === undefined && keys.size >= MAX_KEYS) keys.delete(keys.keys().next().value ?? '');
  // A copy: `raw` is a view of the batch buffer, which goes back to the pool.
  keys.set(cacheKey, { raw: Buffer.from(raw), key });
  return key;
}

/**
 * @param {'ml-dsa-65' | 'ed25519' | undefined} algorithm
 * @param {Buffer} publicKey
 * @param {Buffer} message
 * @param {Buffer} signature
 * @param {Buffer | undefined} context
 * @returns {boolean}
 */
function check(algorithm, publicKey, message, signature, context) {
  if (algorithm === undefined) return false;
  try {
    const key = keyFor(algorithm, publicKey);
    const input = context === undefined ? key : /** @type {never} */ ({ key, context });
    return verify(null, message, input, signature);
  } catch {
    return false; // malformed key or signature: does not verify
  }
}

parentPort?.on('message', (/** @type {PackedVerifyBatch} */ batch) => {
  const { meta, bytes } = batch;
  const count = meta.length / META_FIELDS;
  const results = new Float64Array(count * 2);
  let offset = 0;
  /** @param {number} length */
  const take = (length) => {
    const view = Buffer.from(bytes, offset, length);
    offset += length;
    return view;
  };
  for (let i = 0; i < count; i++) {
    const at = i * META_FIELDS;
    const publicKey = take(meta[at + 2] ?? 0);
    const message = take(meta[at + 3] ?? 0);
    const signature = take(meta[at + 4] ?? 0);
    const contextLength = meta[at + 5] ?? -1;
    const context = contextLength < 0 ? undefined : take(contextLength);
    const ok = check(ALGORITHMS[meta[at + 1] ?? -1], publicKey, message, signature, context);
    results[i * 2] = meta[at] ?? -1;
    results[i * 2 + 1] = ok ? 1 : 0;
  }
  // The batch's buffer goes back too, for the pool to fill with a later batch.
  parentPort?.postMessage({ results, bytes }, [results.buffer, bytes]);
});
