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
import {
  PackedBatchBuilder,
  type VerifyBatchResults,
  type VerifyRequest,
} from './internal/packed-verify-batch.ts';

type Pending = (ok: boolean) => void;

/**
 * Young-generation size of each worker's V8 heap. A worker holds little at a time (the requests
 * in flight, a few KB each), but V8 sizes a young generation for the machine's memory and lets it
 * grow under load: with the default, `bench:ep` measured ~20 MiB more RSS per worker at peak
 * (2 workers: 296 vs 252 MiB) and the same throughput.
 */
const WORKER_YOUNG_GENERATION_MB = 4;

/** One worker and the requests waiting for it. */
interface Lane {
  readonly worker: Worker;
  /** Requests made while the worker's batch was in flight; they go in its next batch. */
  waiting: PackedBatchBuilder;
  /** Whether a batch is with the worker (at most one: see the class comment). */
  busy: boolean;
  /** Estimated work not yet answered (see COST). */
  load: number;
}

/**
 * Relative CPU cost of one verification, to spread work by load rather than by count: a composite
 * signature is one of each, and alternating lanes would give one worker every ML-DSA-65
 * verification (~5× an Ed25519 one on the reference machine) and leave the other mostly idle.
 */
const COST: Readonly<Record<VerifyRequest['algorithm'], number>> = { 'ml-dsa-65': 5, ed25519: 1 };

/**
 * Batching: each worker has at most one batch in flight. A request for an idle worker is posted
 * at once; requests for a busy one wait and go, all together, the moment its batch comes back
 * (before its results are handed out, so the worker starts again right away). Under load a batch
 * carries everything that arrived during the previous one, so messages cost the event loop per
 * batch, not per signature, and a worker never waits for a timer.
 */
export class WorkerVerifyPool {
  readonly #lanes: Lane[] = [];
  readonly #pending = new Map<
    number,
    { resolve: Pending; reject: (error: Error) => void; lane: Lane; cost: number }
  >();
  #nextId = 0;
  #closed = false;

  /** @param size number of worker threads (default: the number of cores) */
  constructor(size: number = availableParallelism()) {
    if (!Number.isInteger(size) || size < 1)
      throw new RangeError(`size must be a positive integer, got ${size}`);
    for (let i = 0; i < size; i++) {
      const worker = new Worker(new URL('./verify-worker.js', import.meta.url), {
        // The thread's name in /proc and in profilers (bench:ep reports CPU by thread name).
        name: 'pm-verify',
        resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB },
      });
      const lane: Lane = { worker, waiting: new PackedBatchBuilder(), busy: false, load: 0 };
      worker.on('message', ({ results, bytes }: VerifyBatchResults) => {
        lane.busy = false;
        lane.waiting.recycle(bytes);
        this.#post(lane);
        for (let r = 0; r < results.length; r += 2) {
          const id = results[r] as number;
          const pending = this.#pending.get(id);
          if (pending === undefined) continue;
          this.#pending.delete(id);
          lane.load -= pending.cost;
          pending.resolve(results[r + 1] === 1);
        }
        this.#settled();
      });
      worker.on('error', (error) => this.#failAll(lane, error));
      worker.unref();
      this.#lanes.push(lane);
    }
  }

  get size(): number {
    return this.#lanes.length;
  }

  // Idle workers do not keep the process alive; a pending verification does.
  #settled(): void {
    if (this.#pending.size === 0) for (const { worker } of this.#lanes) worker.unref();
  }

  #failAll(lane: Lane, error: Error): void {
    lane.waiting = new PackedBatchBuilder();
    lane.load = 0;
    for (const [id, pending] of this.#pending) {
      if (pending.lane === lane) {
        pending.reject(
          new UnavailableError('a signature verification worker failed', { cause: error }),
        );
        this.#pending.delete(id);
      }
    }
    this.#settled();
  }

  /** Sends an idle lane's waiting requests as one batch. */
  #post(lane: Lane): void {
    if (lane.busy || lane.waiting.size === 0 || this.#closed) return;
    const batch = lane.waiting.take();
    lane.busy = true;
    lane.worker.postMessage(batch, [batch.bytes]);
  }

  /** Verifies one signature in a worker; false for any malformed input. */
  verify(request: Omit<VerifyRequest, 'id'>): Promise<boolean> {
    if (this.#closed)
      return Promise.reject(new UnavailableError('the verification pool is closed'));
    let lane = this.#lanes[0];
    for (const other of this.#lanes) if (lane === undefined || other.load < lane.load) lane = other;
    if (lane === undefined)
      return Promise.reject(new UnavailableError('the verification pool has no workers'));
    const chosen = lane;
    const cost = COST[request.algorithm] ?? 1;
    chosen.load += cost;
    const id = this.#nextId++;
    if (this.#pending.size === 0) for (const { worker } of this.#lanes) worker.ref();
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject, lane: chosen, cost });
      // Copied now, so the caller may reuse its arrays as soon as this returns.
      chosen.waiting.add({ ...request, id });
      this.#post(chosen);
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
    for (const lane of this.#lanes) this.#failAll(lane, new Error('pool closed'));
    await Promise.all(this.#lanes.map(({ worker }) => worker.terminate()));
  }
}
