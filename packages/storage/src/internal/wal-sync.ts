/**
 * Makes SQLite's committed WAL frames durable off the event loop.
 *
 * With `synchronous=NORMAL` in WAL mode, COMMIT only write()s its frames to the `-wal` file; the
 * fsync that `synchronous=FULL` would do inside COMMIT (milliseconds of blocking on the event
 * loop, since node:sqlite is synchronous) is left out. This class restores power-loss durability
 * by fdatasync()ing the `-wal` file on libuv's thread pool after the COMMIT and before anyone is
 * answered: a caller waits on `durable(mark)` for the mark its commit got from `committed()`.
 * fsync is per file, not per descriptor, so our own read-only descriptor flushes the frames
 * SQLite wrote. Checkpoints stay safe without us: with NORMAL, SQLite syncs the WAL before
 * copying it into the database file and the database file before reusing the WAL.
 *
 * One sync runs at a time and covers every commit made before it started, so commits made while
 * it runs share the next one (a second level of group commit, pipelined with the next batch).
 *
 * A failed fsync is not retried: after a failure Linux may drop the dirty pages and report the
 * next fsync as a success, so nothing written since the last good sync can be trusted (the
 * PostgreSQL "fsyncgate" lesson). The waiters reject and every later `durable` call rejects
 * with the same error; the database must be reopened (the process restarted).
 */
import { close, fdatasync, fsync, open } from 'node:fs';
import { dirname } from 'node:path';
import { promisify } from 'node:util';
import { UnavailableError } from '@proof-messenger/errors';

const openAsync = promisify(open);
const closeAsync = promisify(close);

/** The file operations a WalSync uses; tests replace them to control timing and failures. */
export interface WalSyncFiles {
  open(path: string): Promise<number>;
  /** fdatasync for the WAL file, fsync for its directory (`directory` true). */
  sync(fd: number, directory: boolean): Promise<void>;
  close(fd: number): Promise<void>;
}

const nodeFiles: WalSyncFiles = {
  open: (path) => openAsync(path, 'r'),
  sync: (fd, directory) =>
    new Promise((resolve, reject) =>
      (directory ? fsync : fdatasync)(fd, (err) => (err ? reject(err) : resolve())),
    ),
  close: (fd) => closeAsync(fd),
};

interface Waiter {
  readonly mark: number;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/** Durability of the commits on one WAL file (see the module header). */
export class WalSync {
  readonly #walPath: string;
  readonly #files: WalSyncFiles;
  #fd: number | undefined;
  /** Commits made so far; a commit's mark is this count right after it. */
  #committed = 0;
  /** Every commit with a mark up to this is durable. */
  #synced = 0;
  #waiters: Waiter[] = [];
  #running: Promise<void> | undefined;
  #failure: UnavailableError | undefined;

  constructor(databasePath: string, files: WalSyncFiles = nodeFiles) {
    this.#walPath = `${databasePath}-wal`;
    this.#files = files;
  }

  /** Records a COMMIT that just returned; returns its mark for `durable`. */
  committed(): number {
    return ++this.#committed;
  }

  /** The mark of the newest commit (what a read made now may have seen). */
  get latest(): number {
    return this.#committed;
  }

  /** Set once a sync failed: the database must not take writes any more. */
  get failure(): UnavailableError | undefined {
    return this.#failure;
  }

  /** Resolves once the commit with `mark` (and every one before it) is on disk. */
  durable(mark: number): Promise<void> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    if (mark <= this.#synced) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.#waiters.push({ mark, resolve, reject });
      this.#running ??= this.#run();
    });
  }

  /** Waits for the running sync, then releases the descriptor. */
  async close(): Promise<void> {
    while (this.#running !== undefined) await this.#running;
    if (this.#fd !== undefined) {
      const fd = this.#fd;
      this.#fd = undefined;
      await this.#files.close(fd);
    }
  }

  async #run(): Promise<void> {
    try {
      while (this.#waiters.length > 0 && this.#failure === undefined) {
        const target = this.#committed;
        try {
          await this.#syncOnce();
        } catch (error) {
          this.#failure = new UnavailableError(
            'the database could not make its writes durable (fsync failed); restart the service',
            { cause: error },
          );
          break;
        }
        this.#synced = target;
        const waiting = this.#waiters;
        this.#waiters = [];
        for (const waiter of waiting) {
          if (waiter.mark <= target) waiter.resolve();
          else this.#waiters.push(waiter);
        }
      }
      if (this.#failure !== undefined) {
        for (const waiter of this.#waiters) waiter.reject(this.#failure);
        this.#waiters = [];
      }
    } finally {
      this.#running = undefined;
    }
  }

  async #syncOnce(): Promise<void> {
    if (this.#fd === undefined) {
      // First sync: the WAL file exists (a COMMIT wrote to it). Its directory entry must be
      // durable too, once, or a power loss could forget the whole file.
      this.#fd = await this.#files.open(this.#walPath);
      const directory = await this.#files.open(dirname(this.#walPath));
      try {
        await this.#files.sync(directory, true);
      } finally {
        await this.#files.close(directory);
      }
    }
    await this.#files.sync(this.#fd, false);
  }
}
