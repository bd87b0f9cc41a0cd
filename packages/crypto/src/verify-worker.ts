/**
 * Worker thread body of WorkerVerifyPool: verifies ML-DSA-65 and Ed25519 signatures with
 * node:crypto's synchronous calls. Node 24 runs ML-DSA verification with a context string on the
 * calling thread even through the callback API, so the pool moves it off the event loop by running
 * it here. Public keys are parsed once and kept in a small cache (servers see the same senders
 * again and again).
 */
import { createPublicKey, type KeyObject, verify } from 'node:crypto';
import { parentPort } from 'node:worker_threads';
import type { PackedVerifyRequest } from './internal/packed-verify-request.ts';

const MAX_KEYS = 4096;
const keys = new Map<string, KeyObject>();

function keyFor(algorithm: PackedVerifyRequest['algorithm'], raw: Buffer): KeyObject {
  // Keyed by the exact bytes (not by object identity), so a reused array can never hit a wrong key.
  const cacheKey = `${algorithm}:${raw.toString('latin1')}`;
  let key = keys.get(cacheKey);
  if (key === undefined) {
    key = createPublicKey({
      key: raw,
      format: 'raw-public',
      asymmetricKeyType: algorithm,
    } as never);
    if (keys.size >= MAX_KEYS) keys.delete(keys.keys().next().value ?? '');
    keys.set(cacheKey, key);
  }
  return key;
}

function check(request: PackedVerifyRequest): boolean {
  try {
    let offset = 0;
    const take = (length: number) => {
      const view = Buffer.from(request.bytes, offset, length);
      offset += length;
      return view;
    };
    const key = keyFor(request.algorithm, take(request.publicKeyLength));
    const message = take(request.messageLength);
    const signature = take(request.signatureLength);
    const input =
      request.contextLength < 0 ? key : ({ key, context: take(request.contextLength) } as never);
    return verify(null, message, input, signature);
  } catch {
    return false; // malformed key or signature: does not verify
  }
}

parentPort?.on('message', (request: PackedVerifyRequest) => {
  parentPort?.postMessage({ id: request.id, ok: check(request) });
});
