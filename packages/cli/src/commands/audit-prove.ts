/**
 * `audit prove <sequence>`: fetches an entry with its inclusion proof and checks offline that the
 * entry is in the tree a checkpoint signed by the audit key commits to.
 */
import { AuditVerificationError, verifyInclusion } from '@proof-messenger/audit-log';
import { fromAuditEntryMessage, fromCheckpointMessage } from '@proof-messenger/governance/messages';
import { checkpointJson, checkpointPhrase, entryJson, entryText } from '../audit-format.ts';
import { AUDIT_KEY_OPTION, auditKeyToTrust } from '../audit-key-option.ts';
import { CliError } from '../cli-error.ts';
import type { Command } from '../command.ts';
import { ExitCode } from '../exit-code.ts';
import { jsonLine } from '../format.ts';
import { wantsJson } from '../global-options.ts';
import { GOVERNANCE_GROUPS, GOVERNANCE_OPTIONS, withGovernance } from '../governance-session.ts';
import { integerOption } from '../integer-option.ts';

export const auditProve: Command = {
  name: 'audit prove',
  args: '<sequence>',
  arity: [1, 1],
  summary: 'prove an audit entry is in a signed checkpoint, checked offline against --key',
  description: `Fetches entry <sequence> of the audit log with its inclusion proof against the latest signed
checkpoint (or the one of tree size --size N) and verifies both offline: the checkpoint's
signature under the pinned audit key (--key), and the Merkle audit path from the entry's
recomputed hash to the checkpoint's root. Prints the entry and "verified" or "NOT verified"
with the check that failed; exits 0 only when verified, 1 when not. An entry newer than the
latest checkpoint cannot be proven yet (checkpoints are signed every few seconds). Needs ReadAudit
(operators, under the default policy).

Example:
  proof-messenger audit prove 42 --key audit-key.pub.json --operator-credential-file .data/operator.credential`,
  options: {
    key: AUDIT_KEY_OPTION,
    size: {
      type: 'string',
      value: '<n>',
      description: 'prove against the checkpoint of this tree size',
    },
    ...GOVERNANCE_OPTIONS,
  },
  groups: GOVERNANCE_GROUPS,
  async run(invocation) {
    const { io, positionals, values } = invocation;
    const raw = positionals[0] ?? '';
    if (!/^\d{1,16}$/.test(raw) || !Number.isSafeInteger(Number(raw))) {
      throw new CliError(
        ExitCode.USAGE,
        `<sequence> must be an entry's sequence number (from \`audit query\`), got ${JSON.stringify(raw)}`,
      );
    }
    const sequence = Number(raw);
    const size = integerOption(values, 'size', 0, 1, Number.MAX_SAFE_INTEGER);
    return withGovernance(invocation, async (session) => {
      const key = await auditKeyToTrust(io, values, session);
      const answer = await session
        .audit()
        .call(
          'getInclusionProof',
          { sequence: BigInt(sequence), treeSize: BigInt(size) },
          session.options,
        );
      if (answer.entry === undefined) throw new Error('the server answered without the entry');
      const entry = fromAuditEntryMessage(answer.entry);
      const checkpoint = fromCheckpointMessage(answer.checkpoint);
      let failure: AuditVerificationError | undefined;
      try {
        if (entry.sequence !== sequence) {
          throw new AuditVerificationError(
            `the server sent entry ${entry.sequence} for entry ${sequence}`,
            { check: 'inclusion', entryIndex: sequence },
          );
        }
        if (size !== 0 && checkpoint.treeSize !== size) {
          throw new AuditVerificationError(
            `the server proved against the checkpoint of size ${checkpoint.treeSize}, not ${size}`,
            { check: 'inclusion', entryIndex: sequence },
          );
        }
        await verifyInclusion(
          entry,
          { leafIndex: sequence, treeSize: checkpoint.treeSize, hashes: answer.auditPath },
          checkpoint,
          key,
        );
      } catch (error) {
        if (!(error instanceof AuditVerificationError)) throw error;
        failure = error;
      }
      if (wantsJson(values)) {
        io.stdout(
          jsonLine({
            verified: failure === undefined,
            ...(failure === undefined ? {} : { check: failure.check, message: failure.message }),
            keyId: key.keyId,
            entry: entryJson(entry),
            checkpoint: checkpointJson(checkpoint),
          }),
        );
      } else {
        io.stdout(entryText(entry));
        io.stdout(
          failure === undefined
            ? `verified: entry ${sequence} is in the checkpoint of ${checkpointPhrase(checkpoint)}, under audit key ${key.keyId}\n`
            : `NOT verified (check ${failure.check}): ${failure.message}\n`,
        );
      }
      return failure === undefined ? ExitCode.OK : ExitCode.FAILURE;
    });
  },
};
