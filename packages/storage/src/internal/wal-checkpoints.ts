/**
 * WAL checkpoints off the event loop. SQLite's automatic checkpoint runs inside the COMMIT that
 * crosses 1,000 WAL pages, on the caller's thread: it copies ~4 MB back into the database file
 * and fsyncs both files, which stalled the event loop for 8–30 ms about every 300 messages of
 * 4.7 KB (measured on the reference machine; the COMMITs in between take ~1 ms). node:sqlite has
 * no asynchronous API, so the checkpoints run in a worker thread instead, on a connection of its
 * own to the same file, every 100 ms. The worker takes a database over `handOverDelayMs` after it
 * opened; from then on the owner's connection has its automatic checkpoint off.
 *
 * One worker serves every database of the process (the embedded platform opens five), because a
 * worker isolate costs ~19 MiB of RSS. If the worker cannot open a database, fails on it, or dies,
 * the owner is told and turns its automatic checkpoint back on: the WAL never grows without bound
 * because of this module. Checkpoints alone do not bound it under steady writes (SQLite restarts
 * the WAL only at a write that finds it fully checkpointed); the owner holds a commit back for
 * that when the WAL is large (see sqlite-database.ts, "WAL reset").
 *
 * Safety: a PASSIVE checkpoint never blocks the writer, and with synchronous=NORMAL SQLite syncs
 * the WAL before copying and the database file before the writer may reuse the WAL, so a power
 * loss loses nothing that WalSync made durable.
 */
import { Worker } from 'node:worker_threads';

/** Default of `CheckpointWorker.handOverDelayMs`: past a service's start-up. */
const DEFAULT_HAND_OVER_DELAY_MS = 5000;

/** How often the worker checkpoints each database, in ms. */
const CHECKPOINT_INTERVAL_MS = 100;

/** A worker isolate holds next to nothing; V8's defaults would size its heap for the machine. */
const WORKER_LIMITS = { maxYoungGenerationSizeMb: 1, maxOldGenerationSizeMb: 16 };

/** What a registered database hears from the worker. */
export interface CheckpointListener {
  /** The worker gave the database up (`reason` says why): checkpoint inline from now on. */
  readonly failed: (reason: string) => void;
  /** A checkpoint ran: `backfilled` of the WAL's `log` frames are back in the database file. */
  readonly checkpointed?: (log: number, backfilled: number) => void;
}

interface Registration {
  readonly listener: CheckpointListener;
  /** Settles the request (add, checkpoint or remove) waiting for the worker's answer. */
  settle?: (error?: Error) => void;
  /** The answer to the last 'checkpoint' request. */
  lastCheckpoint?: CheckpointResult;
}

type WorkerMessage =
  | { type: 'added' | 'removed'; id: number }
  | { type: 'failed'; id: number; message: string }
  | { type: 'checkpointed' | 'checkpoint-done'; id: number; log: number; backfilled: number };

/** What one checkpoint found: the WAL's frames, and how many are back in the database file. */
export interface CheckpointResult {
  readonly log: number;
  readonly backfilled: number;
}

/** Stops the worker's checkpoints of one database, or runs one now. */
export interface CheckpointHandle {
  /**
   * A checkpoint now, after every commit made before the call: the WAL's frames and how many of
   * them are back in the database file (both -1 when another process held the checkpoint lock).
   */
  readonly checkpointNow: () => Promise<CheckpointResult>;
  /** Stops checkpointing the database, once the worker closed its connection. */
  readonly stop: () => Promise<void>;
}

/** A checkpoint worker and the databases registered with it (see the module header). */
export class CheckpointWorker {
  readonly #script: URL;
  #worker: Worker | undefined;
  readonly #registrations = new Map<number, Registration>();
  #nextId = 1;

  /**
   * How long after opening a database the worker takes its checkpoints over, in ms: SQLite
   * checkpoints inline until then, and a service's start does not wait for a worker isolate.
   */
  readonly handOverDelayMs: number;

  /** `script`: the worker's code (tests pass one that fails); `handOverDelayMs`: see above. */
  constructor(
    script: URL = new URL('./checkpoint-worker.js', import.meta.url),
    handOverDelayMs = DEFAULT_HAND_OVER_DELAY_MS,
  ) {
    this.#script = script;
    this.handOverDelayMs = handOverDelayMs;
  }

  /** Databases currently checkpointed by the worker. */
  get size(): number {
    return this.#registrations.size;
  }

  /**
   * Starts checkpointing the WAL database at `path`, or rejects when the worker could not take
   * it.
   */
  async add(path: string, listener: CheckpointListener): Promise<CheckpointHandle> {
    const id = this.#nextId++;
    const registration: Registration = { listener };
    this.#registrations.set(id, registration);
    await this.#request(id, registration, { type: 'add', id, path });
    return {
      checkpointNow: async () => {
        const current = this.#registrations.get(id);
        if (current === undefined) throw new Error('the checkpoint worker gave this database up');
        await this.#request(id, current, { type: 'checkpoint', id });
        return current.lastCheckpoint ?? { log: -1, backfilled: -1 };
      },
      stop: async () => {
        const current = this.#registrations.get(id);
        if (current === undefined) return; // failed meanwhile: nothing left in the worker
        await this.#request(id, current, { type: 'remove', id }).catch(() => undefined);
        this.#registrations.delete(id);
        if (this.#registrations.size === 0) await this.#stop();
      },
    };
  }

  #request(id: number, registration: Registration, message: object): Promise<void> {
    if (registration.settle !== undefined) {
      return Promise.reject(new Error('a request for this database is already waiting'));
    }
    const worker = this.#start();
    // Someone awaits the answer: until it comes, the worker is what the process waits for.
    worker.ref();
    return new Promise<void>((resolve, reject) => {
      registration.settle = (error) => {
        registration.settle = undefined;
        if (!this.#awaitingAnswers()) this.#worker?.unref();
        if (error === undefined) resolve();
        else {
          this.#registrations.delete(id);
          reject(error);
        }
      };
      worker.postMessage(message);
    });
  }

  /** Whether any request still waits for the worker's answer. */
  #awaitingAnswers(): boolean {
    for (const registration of this.#registrations.values()) {
      if (registration.settle !== undefined) return true;
    }
    return false;
  }

  #start(): Worker {
    if (this.#worker !== undefined) return this.#worker;
    const worker = new Worker(this.#script, {
      name: 'pm-checkpoints', // the thread's name in /proc and in profilers
      workerData: { intervalMs: CHECKPOINT_INTERVAL_MS },
      resourceLimits: WORKER_LIMITS,
    });
    worker.on('message', (message: WorkerMessage) => this.#receive(message));
    worker.on('error', (error) => this.#lost(worker, `the checkpoint worker failed: ${error}`));
    worker.on('exit', (code) => this.#lost(worker, `the checkpoint worker exited (${code})`));
    // Never what keeps a process alive, except while a request waits for its answer (see
    // #request): at exit a checkpoint may be cut short, which is safe. (After the listeners:
    // adding a 'message' listener refs the worker again.)
    worker.unref();
    this.#worker = worker;
    return worker;
  }

  #receive(message: WorkerMessage): void {
    const registration = this.#registrations.get(message.id);
    if (registration === undefined) return;
    if (message.type === 'checkpointed' || message.type === 'checkpoint-done') {
      if (message.backfilled >= 0) {
        registration.listener.checkpointed?.(message.log, message.backfilled);
      }
      if (message.type === 'checkpoint-done') {
        registration.lastCheckpoint = { log: message.log, backfilled: message.backfilled };
        registration.settle?.();
      }
    } else if (message.type === 'failed') {
      this.#registrations.delete(message.id);
      if (registration.settle !== undefined) registration.settle(new Error(message.message));
      else registration.listener.failed(message.message);
    } else {
      registration.settle?.();
    }
  }

  /** The worker is gone: every database checkpoints inline again. */
  #lost(worker: Worker, reason: string): void {
    if (this.#worker !== worker) return;
    this.#worker = undefined;
    const registrations = [...this.#registrations.values()];
    this.#registrations.clear();
    for (const registration of registrations) {
      if (registration.settle !== undefined) registration.settle(new Error(reason));
      else registration.listener.failed(reason);
    }
  }

  async #stop(): Promise<void> {
    const worker = this.#worker;
    this.#worker = undefined;
    await worker?.terminate();
  }
}

/** The worker every database of this process shares. */
export const sharedCheckpointWorker = new CheckpointWorker();
