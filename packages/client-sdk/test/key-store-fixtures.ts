/**
 * Shared fixtures of the key store tests: fixed seeds with their known key ids, a fast scrypt
 * setting, and temporary directories.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ScryptParams } from '../src/index.ts';

/** scrypt cost for tests: 2^14 (16 MiB, ~50 ms) instead of the default 2^17. */
export const FAST_SCRYPT: Partial<ScryptParams> = { n: 2 ** 14 };

export const PASSPHRASE = 'correct horse battery staple';

/** Fixed seeds and the key ids they derive (same on both providers). */
export const KEYS = {
  identity: { seed: () => new Uint8Array(64).fill(1), keyId: 'q8tqt0YyTYpHckFeiJPcJQ' },
  identity2: { seed: () => new Uint8Array(64).fill(4), keyId: '5omNcmSBkaf7W4yzUaOMcg' },
  mlKem: { seed: () => new Uint8Array(64).fill(2), keyId: 'TztbeGIQizdLQHbFLY43hA' },
  xWing: { seed: () => new Uint8Array(32).fill(3), keyId: '9_aayoK_N37NuPj67P8sWg' },
  xWing2: { seed: () => new Uint8Array(32).fill(5), keyId: 'u9i8a4oyXkMI05szDlhKZA' },
  xWing3: { seed: () => new Uint8Array(32).fill(6), keyId: 'TIgASoDFd_Vz0cmwdzOWVg' },
} as const;

/** True when every byte is zero. */
export function isZero(bytes: Uint8Array): boolean {
  return bytes.every((byte) => byte === 0);
}

/** A fresh temporary directory and a function that deletes it. */
export async function tempDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'pm-key-store-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}
