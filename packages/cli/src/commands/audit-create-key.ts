/**
 * `audit create-key <file>`: creates the audit signing key for the distributed deployment, where
 * every governance instance must load the same key from PM_AUDIT_KEY_FILE (the embedded platform
 * creates its own in its data folder). No server is involved.
 */
import { createAuditKeyFile } from '@proof-messenger/audit-log';
import { AlreadyExistsError } from '@proof-messenger/errors';
import { writeAuditPublicKeyFile } from '../audit-public-key-file.ts';
import { CliError } from '../cli-error.ts';
import type { Command } from '../command.ts';
import { ExitCode } from '../exit-code.ts';
import { optionString } from '../global-options.ts';

export const auditCreateKey: Command = {
  name: 'audit create-key',
  args: '<file>',
  arity: [1, 1],
  summary: 'create the audit signing key file for PM_AUDIT_KEY_FILE (distributed mode)',
  description: `Creates a new audit signing key (ML-DSA-65 + Ed25519) in a new file of mode 0600, for the
distributed deployment: mount the same file on every governance instance (a Kubernetes secret)
and point PM_AUDIT_KEY_FILE at it. An existing file is never overwritten (exit 1): replacing the
key would make every verifier's pinned key useless. --public-out also writes the pinned public
key file verifiers use with --key, so it need not be fetched from a server.

The embedded platform needs none of this: it creates <data dir>/audit-key.json itself.

Example:
  proof-messenger audit create-key /secrets/audit-key.json --public-out audit-key.pub.json`,
  options: {
    'public-out': {
      type: 'string',
      value: '<file>',
      description: 'also write the pinned public key file (for `audit verify --key`)',
    },
  },
  groups: [],
  async run({ io, positionals, values }) {
    const path = positionals[0] ?? '';
    let signer: ReturnType<typeof createAuditKeyFile>;
    try {
      signer = createAuditKeyFile(path);
    } catch (error) {
      if (error instanceof AlreadyExistsError) {
        throw new CliError(
          ExitCode.FAILURE,
          `${path} already exists: an audit key is never overwritten (verifiers pinned its public key); choose another file`,
          { cause: error },
        );
      }
      throw new CliError(ExitCode.FAILURE, `cannot create ${path}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    const publicOut = optionString(values, 'public-out');
    if (publicOut !== undefined) await writeAuditPublicKeyFile(publicOut, signer.publicKey);
    io.stdout(
      `created audit key ${signer.publicKey.keyId} in ${path} (mode 0600); set PM_AUDIT_KEY_FILE=${path} on every governance instance${publicOut === undefined ? '' : `; its public key is in ${publicOut}`}\n`,
    );
    return ExitCode.OK;
  },
};
