/**
 * Secrets the embedded platform generates for itself on first start and keeps in its data folder
 * (mode 0600): the access-token secret and an operator credential. Distributed deployments pass
 * both through configuration instead, the same value on every instance.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { OperatorCredentials } from './operator-credentials.ts';

function readOrCreate(path: string, create: () => string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const value = create();
  try {
    // 'wx': if another process created it meanwhile, keep theirs.
    writeFileSync(path, `${value}\n`, { mode: 0o600, flag: 'wx' });
    return value;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return readFileSync(path, 'utf8').trim();
  }
}

/** The 32-byte access-token secret stored at `path`, created on first use. */
export function loadOrCreateTokenSecret(path: string): Uint8Array {
  return Buffer.from(
    readOrCreate(path, () => randomBytes(32).toString('base64')),
    'base64',
  );
}

/**
 * The operator credential stored at `path` (created on first use, for operator `local`) and the
 * `name:sha256hex` entry that accepts it.
 */
export function loadOrCreateOperatorCredential(path: string): {
  credential: string;
  entry: string;
} {
  let entry = '';
  const credential = readOrCreate(path, () => {
    const generated = OperatorCredentials.generate('local');
    entry = generated.entry;
    return generated.credential;
  });
  if (entry === '') entry = OperatorCredentials.entryFor('local', credential);
  return { credential, entry };
}

/** The secrets a service authenticates callers with. */
export interface ServiceSecrets {
  readonly tokenSecret: Uint8Array;
  readonly operators: OperatorCredentials;
  /** The generated local operator credential, when one was used (embedded mode). */
  readonly localOperatorCredential: string | undefined;
}

/**
 * Resolves a service's secrets: configured values win; otherwise the token secret is read from (or
 * created in) `dataDir`, and — only when `useLocalOperator` — so is the local operator credential,
 * which then is the one operator accepted. Without configured operators and without the local one,
 * no operator is accepted (operator RPCs are refused).
 */
export function resolveServiceSecrets(options: {
  readonly dataDir: string;
  readonly authTokenSecret: Uint8Array | undefined;
  readonly operatorCredentials: string | undefined;
  readonly useLocalOperator: boolean;
}): ServiceSecrets {
  const tokenSecret =
    options.authTokenSecret ?? loadOrCreateTokenSecret(join(options.dataDir, 'auth-token.secret'));
  const local = options.useLocalOperator
    ? loadOrCreateOperatorCredential(join(options.dataDir, 'operator.credential'))
    : undefined;
  return {
    tokenSecret,
    operators: OperatorCredentials.parse(options.operatorCredentials ?? local?.entry ?? ''),
    localOperatorCredential: local?.credential,
  };
}
