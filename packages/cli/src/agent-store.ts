/**
 * An agent as the CLI keeps it on disk: the encrypted key store (`FileKeyStore`, private keys)
 * and, next to it, `<key store>.agent.json` naming the agent id the keys belong to (the key store
 * holds keys only; the id is not secret). One key store file is one agent; `--key-store` picks it.
 *
 * Opening checks, in order: the key store exists (else NOT_FOUND with how to create it), a
 * secret was given, the secret unlocks it, no other process holds it.
 */
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import {
  FileKeyStore,
  KeyStoreLockedError,
  KeyStoreUnlockError,
} from '@proof-messenger/client-sdk';
import { AlreadyExistsError, InvalidArgumentError } from '@proof-messenger/errors';
import { CliError } from './cli-error.ts';
import type { CliIo, OptionValues } from './command.ts';
import { ExitCode } from './exit-code.ts';
import { keyStorePath } from './global-options.ts';
import { resolveKeyStoreSecret } from './resolve-key-store-secret.ts';

const PROFILE_FORMAT = 'proof-messenger/agent-profile/v1';

/** An open agent: its id and its key store (close it when done). */
export interface AgentStore {
  readonly agentId: string;
  /** Absolute path of the key store file. */
  readonly path: string;
  readonly keyStore: FileKeyStore;
}

function profilePath(path: string): string {
  return `${path}.agent.json`;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

async function readAgentId(path: string): Promise<string | undefined> {
  try {
    const profile = JSON.parse(await readFile(profilePath(path), 'utf8')) as {
      format?: unknown;
      agentId?: unknown;
    };
    return profile.format === PROFILE_FORMAT && typeof profile.agentId === 'string'
      ? profile.agentId
      : undefined;
  } catch {
    return undefined;
  }
}

/** Translates what FileKeyStore throws on open into what to do about it. */
function openFailure(path: string, error: unknown): unknown {
  if (error instanceof KeyStoreUnlockError) {
    return new CliError(
      ExitCode.FAILURE,
      `cannot unlock the key store ${path}: wrong passphrase or key, or the file was modified`,
      { cause: error },
    );
  }
  if (error instanceof KeyStoreLockedError) {
    return new CliError(
      ExitCode.FAILURE,
      `${error.message} (is another proof-messenger command, such as receive --follow, running with this key store?)`,
      { cause: error },
    );
  }
  if (
    error instanceof InvalidArgumentError &&
    (error.field === 'key' || error.field === 'passphrase')
  ) {
    const needs =
      error.field === 'key'
        ? 'a passphrase: set PM_KEY_STORE_PASSPHRASE or pass --passphrase-file'
        : 'a 32-byte key: set PM_KEY_STORE_KEY';
    return new CliError(ExitCode.USAGE, `the key store ${path} is protected by ${needs}`, {
      cause: error,
    });
  }
  return error;
}

/**
 * Creates the key store (and its directory, mode 0700) for a new agent.
 * @throws CliError when a key store is already there
 */
export async function createAgentStore(
  io: CliIo,
  values: OptionValues,
  agentId: string,
): Promise<AgentStore> {
  const path = resolve(keyStorePath(io, values));
  const secret = await resolveKeyStoreSecret(io, values);
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  let keyStore: FileKeyStore;
  try {
    keyStore = await FileKeyStore.create(path, secret);
  } catch (error) {
    if (error instanceof AlreadyExistsError) {
      const existing = await readAgentId(path);
      throw new CliError(
        ExitCode.FAILURE,
        `a key store already exists at ${path}${existing === undefined ? '' : ` (agent ${existing})`}: use it, or pass --key-store <file> for another agent`,
        { cause: error },
      );
    }
    throw openFailure(path, error);
  }
  const profile = { format: PROFILE_FORMAT, agentId, createdAtMs: Date.now() };
  await writeFile(profilePath(path), `${JSON.stringify(profile, null, 2)}\n`, { mode: 0o600 });
  return { agentId, path, keyStore };
}

/**
 * Opens the agent's key store.
 * @throws CliError (NOT_FOUND) when there is none, and for a missing secret, a wrong one, or a
 *   key store in use
 */
export async function openAgentStore(io: CliIo, values: OptionValues): Promise<AgentStore> {
  const path = resolve(keyStorePath(io, values));
  if (!(await exists(path))) {
    throw new CliError(
      ExitCode.NOT_FOUND,
      `no key store at ${path}: run \`proof-messenger agent create <agent-id>\` first (or pass --key-store <file>)`,
    );
  }
  const agentId = await readAgentId(path);
  if (agentId === undefined) {
    throw new CliError(
      ExitCode.FAILURE,
      `${profilePath(path)} is missing or damaged: it names the agent the key store ${path} belongs to; restore it, or create a new agent`,
    );
  }
  const secret = await resolveKeyStoreSecret(io, values);
  try {
    return { agentId, path, keyStore: await FileKeyStore.open(path, secret) };
  } catch (error) {
    throw openFailure(path, error);
  }
}
