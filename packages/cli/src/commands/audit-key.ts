/** `audit key [--out <file>]`: fetches the audit public key, to pin it for later verification. */

import {
  auditKeyFromServer,
  auditPublicKeyFileText,
  writeAuditPublicKeyFile,
} from '../audit-public-key-file.ts';
import type { Command } from '../command.ts';
import { ExitCode } from '../exit-code.ts';
import { optionString } from '../global-options.ts';
import { GOVERNANCE_GROUPS, GOVERNANCE_OPTIONS, withGovernance } from '../governance-session.ts';

export const auditKey: Command = {
  name: 'audit key',
  args: '',
  arity: [0, 0],
  summary: 'fetch the audit public key (pin it once, then verify against the file)',
  description: `Fetches the public key the audit log's checkpoints are signed with and writes it as a pinned key
file (JSON: format, keyId, publicKey in base64; see docs/cli.md) to --out, or prints the file's
text. Do this once and compare the key id with the one your operator announces out of band:
afterwards \`audit prove|consistency|verify --key <file>\` trust only this file, never the server.
The key id is recomputed from the key bytes, not taken from the server. Any authenticated agent
or operator may fetch it.

Example:
  proof-messenger audit key --out audit-key.pub.json --operator-credential-file .data/operator.credential`,
  options: {
    out: { type: 'string', value: '<file>', description: 'write the pinned key file here' },
    ...GOVERNANCE_OPTIONS,
  },
  groups: GOVERNANCE_GROUPS.filter((group) => group !== 'output'),
  async run(invocation) {
    const { io, values } = invocation;
    const out = optionString(values, 'out');
    return withGovernance(invocation, async (session) => {
      const { publicKey } = await session.audit().call('getAuditKey', {}, session.options);
      const key = auditKeyFromServer(publicKey);
      if (out === undefined) {
        io.stdout(auditPublicKeyFileText(key));
      } else {
        await writeAuditPublicKeyFile(out, key);
        io.stdout(
          `saved the audit public key ${key.keyId} to ${out}; check this key id with your operator before you rely on it\n`,
        );
      }
      return ExitCode.OK;
    });
  },
};
