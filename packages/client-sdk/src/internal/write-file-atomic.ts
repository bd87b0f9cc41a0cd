/**
 * Atomic, durable file replacement: write a temp file in the same directory (mode 0600, exclusive
 * create), fsync it, rename it over the target, fsync the directory. A reader (or a restart after a
 * crash or power loss) sees the old file or the new one, never a mix; once the promise resolves,
 * the new file survives a power loss.
 *
 * Why each step: the temp file must be in the same directory for rename to be atomic (same file
 * system); fsync before rename so the name never points at unwritten blocks; fsync the directory so
 * the rename itself is on disk. A crash between steps leaves a stray temp file, which
 * `removeStrayTempFiles` deletes the next time the owner opens the file.
 *
 * Caveat: POSIX semantics (Linux, macOS). Directory fsync is skipped on Windows, where it is not
 * possible; network file systems may not honour these guarantees.
 */
import { randomBytes } from 'node:crypto';
import { open, readdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** Mode of every file written here: read and write for the owner only. */
export const PRIVATE_FILE_MODE = 0o600;

/** Replaces `path` with `data` atomically and durably. */
export async function writeFileAtomic(path: string, data: Uint8Array): Promise<void> {
  const temp = join(dirname(path), `${basename(path)}.${randomBytes(8).toString('hex')}.tmp`);
  const handle = await open(temp, 'wx', PRIVATE_FILE_MODE);
  try {
    try {
      // The mode given to open is filtered by the umask; make it exact.
      await handle.chmod(PRIVATE_FILE_MODE);
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  await syncDirectory(dirname(path));
}

/**
 * Deletes temp files a crashed `writeFileAtomic` of `path` left behind; returns their names. Only
 * the owner of `path` (the lock holder) may call it, or it could delete another writer's temp file.
 */
export async function removeStrayTempFiles(path: string): Promise<string[]> {
  const prefix = `${basename(path)}.`;
  const stray = (await readdir(dirname(path))).filter(
    (name) => name.startsWith(prefix) && /^[0-9a-f]{16}\.tmp$/.test(name.slice(prefix.length)),
  );
  for (const name of stray) await rm(join(dirname(path), name), { force: true });
  return stray;
}

/** fsyncs a directory so a rename or create in it is durable. */
export async function syncDirectory(directory: string): Promise<void> {
  if (process.platform === 'win32') return;
  const handle = await open(directory, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
