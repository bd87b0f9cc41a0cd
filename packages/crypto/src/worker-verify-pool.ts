/**
 * A pool of worker threads for signature verification, so a server verifies on every core and its
 * event loop stays free for I/O: `pool.wrap(nativeProvider)` is a provider whose ML-DSA-65 and
 * Ed25519 verification run in the workers (everything else is the wrapped provider's). Node-only.
 *
 * Why: node:crypto's callback API runs Ed25519 and plain ML-DSA verification on the libuv pool,
 * but ML-DSA with a context string (which every composite signature uses) runs on the calling
 * thread, which would serialize a server on one core.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { UnavailableError } from '@proof-messenger/errors';
import type { CryptoProvider } from './crypto-provider.ts';
import { packVerifyRequest, type VerifyRequest } from './internal/packed-verify-request.ts';

type Pending = (ok: boolean) => void;

export class WorkerVerifyPool {
  readonly #workers: Worker[] = [];
  readonly #pending = new Map<
    number,
    { resolve: Pending; reject: (error: Error) => void; worker: Worker }
  >();
  #next = 0;
  #nextId = 0;
  #closed = false;

  /** @param size number of worker threads (default: the number of cores) */
  constructor(size: number = availableParallelism()) {
    if (!Number.isInteger(size) || size < 1)
      throw new RangeError(`size must be a positive integer, got ${size}`);
    for (let i = 0; i < size; i++) {
      const worker = new Worker(new URL('./verify-worker.js', import.meta.url));
      worker.on('message', ({ id, ok }: { id: number; ok: boolean }) => {
        this.#pending.get(id)?.resolve(ok);
        this.#pending.delete(id);
        this.#settled();
      });
      worker.on('error', (error) => this.#failAll(worker, error));
      worker.unref();
      this.#workers.push(worker);
    }
  }

  get size(): number {
    return this.#workers.length;
  }

  // Idle workers do not keep the process alive; a pending verification does.
  #settled(): void {
    if (this.#pending.size === 0) for (const worker of this.#workers) worker.unref();
  }

  #failAll(worker: Worker, error: Error): void {
    for (const [id, pending] of this.#pending) {
      if (pending.worker === worker) {
        pending.reject(
          new UnavailableError('a signature verification worker failed', { cause: error }),
        );
        this.#pending.delete(id);
      }
    }
    this.#settled();
  }

  /** Verifies one signature in a worker; false for any malformed input. */
  verify(request: Omit<VerifyRequest, 'id'>): Promise<boolean> {
    if (this.#closed)
      return Promise.reject(new UnavailableError('the verification pool is closed'));
    const worker = this.#workers[this.#next++ % this.#workers.length];
    if (worker === undefined)
      return Promise.reject(new UnavailableError('the verification pool has no workers'));
    const id = this.#nextId++;
    if (this.#pending.size === 0) for (const each of this.#workers) each.ref();
    const packed = packVerifyRequest({ ...request, id });
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject, worker });
      worker.postMessage(packed, [packed.bytes]);
    });
  }

  /** A provider like `base` whose ML-DSA-65 and Ed25519 verification run in this pool. */
  wrap(base: CryptoProvider): CryptoProvider {
    return {
      ...base,
      mlDsa65Verify: (publicKey, message, signature, context) =>
        this.verify({ algorithm: 'ml-dsa-65', publicKey, message, signature, context }),
      ed25519Verify: (publicKey, message, signature) =>
        this.verify({ algorithm: 'ed25519', publicKey, message, signature }),
    };
  }

  /** Stops the workers; pending verifications fail. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const worker of this.#workers) this.#failAll(worker, new Error('pool closed'));
    await Promise.all(this.#workers.map((worker) => worker.terminate()));
  }
}
