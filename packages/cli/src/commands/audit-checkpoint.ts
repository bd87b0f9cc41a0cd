/** `audit checkpoint [--size N] [--key <file>]`: the latest signed checkpoint, or one of a size. */
import { verifyCheckpointSignature } from '@proof-messenger/audit-log';
import { defaultProvider, toHex } from '@proof-messenger/crypto';
import { fromCheckpointMessage } from '@proof-messenger/governance/messages';
import { checkpointJson } from '../audit-format.ts';
import { readAuditPublicKeyFile } from '../audit-public-key-file.ts';
import type { Command } from '../command.ts';
import { ExitCode } from '../exit-code.ts';
import { isoTime, jsonLine } from '../format.ts';
import { optionString, wantsJson } from '../global-options.ts';
import { GOVERNANCE_GROUPS, GOVERNANCE_OPTIONS, withGovernance } from '../governance-session.ts';
import { integerOption } from '../integer-option.ts';

export const auditCheckpoint: Command = {
  name: 'audit checkpoint',
  args: '',
  arity: [0, 0],
  summary: 'show the latest signed audit checkpoint (or --size N)',
  description: `Shows the latest signed checkpoint of the audit log (or the one of tree size --size N): how many
entries it covers, the Merkle root over them, when it was signed and by which key. With --key it
also checks the signature against the pinned key (exit 1 when it does not verify). Any
authenticated agent or operator may read checkpoints.

Example:
  proof-messenger audit checkpoint --key audit-key.pub.json --operator-credential-file .data/operator.credential`,
  options: {
    size: { type: 'string', value: '<n>', description: 'the checkpoint of this tree size' },
    key: {
      type: 'string',
      value: '<file>',
      description: 'check the signature against this pinned audit public key',
    },
    ...GOVERNANCE_OPTIONS,
  },
  groups: GOVERNANCE_GROUPS,
  async run(invocation) {
    const { io, values } = invocation;
    const size = integerOption(values, 'size', 0, 1, Number.MAX_SAFE_INTEGER);
    const keyFile = optionString(values, 'key');
    const key = keyFile === undefined ? undefined : await readAuditPublicKeyFile(keyFile);
    return withGovernance(invocation, async (session) => {
      const answer = await session
        .audit()
        .call('getCheckpoint', { treeSize: BigInt(size) }, session.options);
      const checkpoint = fromCheckpointMessage(answer.checkpoint);
      const valid =
        key === undefined
          ? undefined
          : await verifyCheckpointSignature(defaultProvider(), key, checkpoint);
      if (wantsJson(values)) {
        io.stdout(
          jsonLine({
            ...checkpointJson(checkpoint),
            ...(valid === undefined ? {} : { signatureValid: valid }),
          }),
        );
      } else {
        io.stdout(
          [
            `checkpoint of ${checkpoint.treeSize} entries`,
            `  root:      ${toHex(checkpoint.rootHash)}`,
            `  signed at: ${isoTime(checkpoint.timeMs)}`,
            `  key:       ${checkpoint.keyId}`,
            ...(valid === undefined
              ? []
              : [
                  `  signature: ${valid ? 'valid under the pinned key' : 'INVALID under the pinned key'}`,
                ]),
            '',
          ].join('\n'),
        );
      }
      return valid === false ? ExitCode.FAILURE : ExitCode.OK;
    });
  },
};
