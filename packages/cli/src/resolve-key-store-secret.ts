/**
 * Where the CLI gets the secret that unlocks an agent's key store, without ever prompting (agents
 * and scripts have no terminal): `--passphrase-file`, else PM_KEY_STORE_PASSPHRASE, else
 * PM_KEY_STORE_KEY (32 bytes, base64 or base64url, e.g. from a secret manager; much cheaper to
 * open than a passphrase, which is stretched with scrypt on every run).
 *
 * Caveat: a passphrase in an environment variable is visible to processes of the same user
 * (/proc/<pid>/environ); a file readable only by the agent's user is the better place.
 */
import { readFile } from 'node:fs/promises';
import { KEY_STORE_KEY_BYTES, type KeyStoreSecret } from '@proof-messenger/client-sdk';
import { CliError } from './cli-error.ts';
import type { CliIo, OptionValues } from './command.ts';
import { ExitCode } from './exit-code.ts';
import { optionString } from './global-options.ts';

const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;

/**
 * The secret for the key store.
 * @throws CliError (USAGE) when none is given or it is malformed, (NOT_FOUND) for a missing file
 */
export async function resolveKeyStoreSecret(
  io: CliIo,
  values: OptionValues,
): Promise<KeyStoreSecret> {
  const file = optionString(values, 'passphrase-file');
  if (file !== undefined) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      throw new CliError(ExitCode.NOT_FOUND, `cannot read the passphrase file ${file}`, {
        cause: error,
      });
    }
    const passphrase = text.replace(/\r?\n$/, '');
    if (passphrase === '') {
      throw new CliError(ExitCode.USAGE, `the passphrase file ${file} is empty`);
    }
    return { passphrase };
  }
  const passphrase = io.env.PM_KEY_STORE_PASSPHRASE;
  const key = io.env.PM_KEY_STORE_KEY;
  if (passphrase && key) {
    throw new CliError(
      ExitCode.USAGE,
      'both PM_KEY_STORE_PASSPHRASE and PM_KEY_STORE_KEY are set: unset one of them',
    );
  }
  if (passphrase) return { passphrase };
  if (key) {
    const trimmed = key.trim();
    const bytes = BASE64.test(trimmed) ? Buffer.from(trimmed, 'base64') : Buffer.alloc(0);
    if (bytes.length !== KEY_STORE_KEY_BYTES) {
      throw new CliError(
        ExitCode.USAGE,
        `PM_KEY_STORE_KEY must be ${KEY_STORE_KEY_BYTES} bytes in base64, got ${bytes.length} bytes`,
      );
    }
    return { key: new Uint8Array(bytes) };
  }
  throw new CliError(
    ExitCode.USAGE,
    'the key store needs a secret: set PM_KEY_STORE_PASSPHRASE (or PM_KEY_STORE_KEY, 32 bytes in base64), or pass --passphrase-file <file>',
  );
}
