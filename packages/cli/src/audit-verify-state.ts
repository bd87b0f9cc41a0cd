/**
 * The state `audit verify --state <file>` keeps between runs: the last checkpoint it verified,
 * signature included, and when. The next run proves that the log it downloads now extends that
 * checkpoint (a consistency proof from it to the newest), so a history rewritten between runs is
 * caught even when the rewritten log is signed and consistent in itself.
 *
 * Format (JSON):
 *   {"format":"proof-messenger/audit-verify-state/v1","verifiedAtMs":…,
 *    "checkpoint":{"treeSize":…,"rootHash":"<hex>","timeMs":…,"keyId":"…",
 *                  "mlDsa65":"<base64>","ed25519":"<base64>"}}
 * The signature is kept so the saved checkpoint is re-verified against the pinned key on load: a
 * state file edited by hand cannot vouch for a different root. It is written atomically (a
 * temporary file renamed over it).
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import type { SignedCheckpoint } from '@proof-messenger/audit-log';
import { fromHex, toHex } from '@proof-messenger/crypto';
import { CliError } from './cli-error.ts';
import { ExitCode } from './exit-code.ts';

const FORMAT = 'proof-messenger/audit-verify-state/v1';

/** What a state file holds. */
export interface AuditVerifyState {
  readonly verifiedAtMs: number;
  readonly checkpoint: SignedCheckpoint;
}

function malformed(path: string, why: string): CliError {
  return new CliError(
    ExitCode.USAGE,
    `${path} is not an audit verify state file (${why}); remove it to start over from a full verification`,
  );
}

function field<T>(path: string, record: unknown, name: string, check: (v: unknown) => v is T): T {
  const value =
    typeof record === 'object' && record !== null ? Reflect.get(record, name) : undefined;
  if (!check(value)) throw malformed(path, `${name} is missing or malformed`);
  return value;
}

const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
const isText = (v: unknown): v is string => typeof v === 'string';

/**
 * The state in `path`, or undefined when there is no file yet.
 * @throws CliError (USAGE) when the file is not a state file, (FAILURE) when it cannot be read
 */
export async function readAuditVerifyState(path: string): Promise<AuditVerifyState | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new CliError(ExitCode.FAILURE, `cannot read the state file ${path}`, { cause: error });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw malformed(path, 'invalid JSON');
  }
  if (field(path, parsed, 'format', isText) !== FORMAT) {
    throw malformed(path, `format is not ${FORMAT}`);
  }
  const saved = field(path, parsed, 'checkpoint', (v): v is object => typeof v === 'object');
  const rootHex = field(path, saved, 'rootHash', isText);
  if (!/^[0-9a-f]{64}$/.test(rootHex)) throw malformed(path, 'rootHash is not 32 bytes of hex');
  const base64 = (name: string) =>
    new Uint8Array(Buffer.from(field(path, saved, name, isText), 'base64'));
  return {
    verifiedAtMs: field(path, parsed, 'verifiedAtMs', isCount),
    checkpoint: {
      treeSize: field(path, saved, 'treeSize', isCount),
      rootHash: fromHex(rootHex),
      timeMs: field(path, saved, 'timeMs', isCount),
      keyId: field(path, saved, 'keyId', isText),
      signature: { mlDsa65: base64('mlDsa65'), ed25519: base64('ed25519') },
    },
  };
}

/**
 * Saves `state` to `path` atomically.
 * @throws CliError (FAILURE) when it cannot be written
 */
export async function writeAuditVerifyState(path: string, state: AuditVerifyState): Promise<void> {
  const { checkpoint } = state;
  const text = `${JSON.stringify(
    {
      format: FORMAT,
      verifiedAtMs: state.verifiedAtMs,
      checkpoint: {
        treeSize: checkpoint.treeSize,
        rootHash: toHex(checkpoint.rootHash),
        timeMs: checkpoint.timeMs,
        keyId: checkpoint.keyId,
        mlDsa65: Buffer.from(checkpoint.signature.mlDsa65).toString('base64'),
        ed25519: Buffer.from(checkpoint.signature.ed25519).toString('base64'),
      },
    },
    null,
    2,
  )}\n`;
  const temporary = `${path}.${process.pid}.tmp`;
  try {
    await writeFile(temporary, text, { mode: 0o644 });
    await rename(temporary, path);
  } catch (error) {
    throw new CliError(
      ExitCode.FAILURE,
      `cannot save the state file ${path}: ${(error as Error).message}`,
      { cause: error },
    );
  }
}
