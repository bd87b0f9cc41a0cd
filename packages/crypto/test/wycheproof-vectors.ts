/**
 * Loads Wycheproof vector files from `../shared/vectors/wycheproof/` beside the checkout. The
 * files are never copied into the repo. Outside CI a checkout without `../shared` skips these
 * tests with a message; in CI a missing directory or a file that yields no groups fails.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';

export const VECTOR_DIR = resolve(import.meta.dirname, '../../../../shared/vectors/wycheproof');

export const vectorsPresent = existsSync(VECTOR_DIR);

if (!vectorsPresent) {
  if (process.env.CI) {
    throw new Error(
      `Wycheproof vectors are missing at ${VECTOR_DIR}; CI needs ../shared beside the checkout`,
    );
  }
  console.warn(
    `skipping Wycheproof tests: ${VECTOR_DIR} does not exist (needs ../shared beside the checkout)`,
  );
}

export interface WycheproofTest {
  tcId: number;
  comment?: string;
  flags: string[];
  result: 'valid' | 'invalid' | 'acceptable';
  [field: string]: unknown;
}

export interface WycheproofGroup {
  tests: WycheproofTest[];
  [field: string]: unknown;
}

/** The groups of one vector file; throws when the file has none, so a bad file cannot pass silently. */
export function loadGroups(file: string): WycheproofGroup[] {
  const parsed = JSON.parse(readFileSync(resolve(VECTOR_DIR, file), 'utf8')) as {
    testGroups?: WycheproofGroup[];
  };
  const groups = parsed.testGroups ?? [];
  if (groups.length === 0 || groups.every((group) => group.tests.length === 0)) {
    throw new Error(`${file} yielded zero test groups`);
  }
  return groups;
}

/** Bytes of a hex field of a test or group (empty when absent). */
export function hex(value: unknown): Uint8Array {
  return typeof value === 'string' ? Uint8Array.from(Buffer.from(value, 'hex')) : new Uint8Array(0);
}
