/**
 * The lock that gives one key store file to one process: `<store>.lock`, created exclusively ('wx',
 * mode 0600) and holding the owner's pid. A second open, in this process or another, fails with
 * KeyStoreLockedError naming the owner. A lock whose pid is not running (the owner crashed or was
 * killed) is stale and taken over, and so is a lock naming this process's own pid that this process
 * does not hold (a restarted container agent often gets the same pid, e.g. 1).
 *
 * Caveats: a pid identifies a process only on one machine, so the lock does not protect a store on
 * a network file system shared by several hosts, and a dead owner's pid reused by an unrelated
 * process makes the lock look alive (the error says to delete it then). Two processes taking over
 * the same stale lock at the same instant can both succeed; the lock guards against accidents (two
 * agents started on one store), not against a hostile local process, which could read the file
 * anyway.
 */
import { open, readFile, rm } from 'node:fs/promises';
import { KeyStoreLockedError } from '../key-store-errors.ts';
import { errorCode } from './error-code.ts';
import { PRIVATE_FILE_MODE } from './write-file-atomic.ts';

/** Lock paths this process holds (or is acquiring). */
const held = new Set<string>();

const ATTEMPTS = 3;

/** An acquired lock file; release it when the store closes. */
export class LockFile {
  /** The lock file's path. */
  readonly path: string;
  #released = false;

  private constructor(path: string) {
    this.path = path;
  }

  /**
   * Acquires the lock of the key store at `storePath`, taking over a stale one.
   * @throws KeyStoreLockedError when a running process (maybe this one) holds it
   */
  static async acquire(storePath: string): Promise<LockFile> {
    const path = `${storePath}.lock`;
    if (held.has(path)) {
      throw new KeyStoreLockedError(
        `key store ${storePath} is already open in this process; use that FileKeyStore (a key store file belongs to one agent process)`,
        { field: 'path', metadata: { path: storePath, lockFile: path, pid: String(process.pid) } },
      );
    }
    held.add(path);
    try {
      for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
        if (await tryCreate(path)) return new LockFile(path);
        const owner = await readOwner(path);
        if (owner === 'gone') continue;
        if (owner === 'unknown') {
          throw new KeyStoreLockedError(
            `key store ${storePath} is locked by ${path}, which names no process; if no process uses the key store, delete the lock file`,
            { field: 'path', metadata: { path: storePath, lockFile: path } },
          );
        }
        if (owner !== process.pid && isRunning(owner)) {
          throw new KeyStoreLockedError(
            `key store ${storePath} is in use by process ${owner} (lock file ${path}); a key store file belongs to one agent process: close the key store there first, or delete the lock file if that process does not use it`,
            { field: 'path', metadata: { path: storePath, lockFile: path, pid: String(owner) } },
          );
        }
        await rm(path, { force: true });
      }
      throw new KeyStoreLockedError(
        `key store ${storePath} could not be locked: ${path} kept reappearing; another process is opening it`,
        { field: 'path', metadata: { path: storePath, lockFile: path } },
      );
    } catch (error) {
      held.delete(path);
      throw error;
    }
  }

  /** Deletes the lock file (if it is still ours). Idempotent. */
  async release(): Promise<void> {
    if (this.#released) return;
    this.#released = true;
    held.delete(this.path);
    if ((await readOwner(this.path)) === process.pid) await rm(this.path, { force: true });
  }
}

/** Creates the lock file holding our pid; false when it exists. */
async function tryCreate(path: string): Promise<boolean> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, 'wx', PRIVATE_FILE_MODE);
  } catch (error) {
    if (errorCode(error) === 'EEXIST') return false;
    throw error;
  }
  try {
    await handle.writeFile(`${process.pid}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  return true;
}

/** The pid in a lock file; 'gone' when there is none, 'unknown' when it names no process. */
async function readOwner(path: string): Promise<number | 'gone' | 'unknown'> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return 'gone';
    throw error;
  }
  const match = /^([1-9][0-9]{0,9})\n?$/.exec(text);
  const pid = match?.[1] === undefined ? Number.NaN : Number(match[1]);
  return Number.isSafeInteger(pid) ? pid : 'unknown';
}

/** Whether a process with this pid exists (EPERM: it exists but belongs to another user). */
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return errorCode(error) === 'EPERM';
  }
}
