/**
 * `--key <file>` of the audit commands that verify: the pinned audit public key. Without it the
 * command fetches the key from the server it is checking and says so on stderr, because a proof
 * checked against a key the same server just handed over shows only that the server is
 * self-consistent, not that it did not rewrite its log.
 */
import type { CompositePublicKey } from '@proof-messenger/crypto';
import { auditKeyFromServer, readAuditPublicKeyFile } from './audit-public-key-file.ts';
import type { CliIo, OptionSpec, OptionValues } from './command.ts';
import { optionString } from './global-options.ts';
import type { GovernanceSession } from './governance-session.ts';

/** The option. */
export const AUDIT_KEY_OPTION: OptionSpec = {
  type: 'string',
  value: '<file>',
  description:
    'the pinned audit public key (from `audit key --out`); without it the server’s key is fetched and trusted',
};

/** The key to verify against: the pinned one, or (with a warning) the server's. */
export async function auditKeyToTrust(
  io: CliIo,
  values: OptionValues,
  session: GovernanceSession,
): Promise<CompositePublicKey> {
  const file = optionString(values, 'key');
  if (file !== undefined) return readAuditPublicKeyFile(file);
  const { publicKey } = await session.audit().call('getAuditKey', {}, session.options);
  const key = auditKeyFromServer(publicKey);
  io.stderr(
    `warning: no --key given: verifying against the key the server sent now (${key.keyId}), so this trusts the server; pin the key once with \`proof-messenger audit key --out audit-key.pub.json\` and pass --key\n`,
  );
  return key;
}
