/**
 * `audit consistency <fromSize> [<toSize>]`: proves offline that the log of a later signed
 * checkpoint extends the log of an earlier one, i.e. nothing the earlier one covered was changed.
 */
import { AuditVerificationError, verifyConsistency } from '@proof-messenger/audit-log';
import { fromCheckpointMessage } from '@proof-messenger/governance/messages';
import { checkpointJson, checkpointPhrase } from '../audit-format.ts';
import { AUDIT_KEY_OPTION, auditKeyToTrust } from '../audit-key-option.ts';
import { CliError } from '../cli-error.ts';
import type { Command } from '../command.ts';
import { ExitCode } from '../exit-code.ts';
import { jsonLine } from '../format.ts';
import { wantsJson } from '../global-options.ts';
import { GOVERNANCE_GROUPS, GOVERNANCE_OPTIONS, withGovernance } from '../governance-session.ts';

function treeSize(name: string, raw: string | undefined): number {
  if (raw === undefined) return 0;
  const value = /^\d{1,16}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new CliError(
      ExitCode.USAGE,
      `<${name}> must be the tree size of a signed checkpoint (from \`audit checkpoint\`), got ${JSON.stringify(raw)}`,
    );
  }
  return value;
}

export const auditConsistency: Command = {
  name: 'audit consistency',
  args: '<fromSize> [<toSize>]',
  arity: [1, 2],
  summary: 'prove a later audit checkpoint extends an earlier one, checked offline against --key',
  description: `Fetches the signed checkpoints of tree sizes <fromSize> and <toSize> (default: the latest) and the
consistency proof between them, and verifies offline that both signatures hold under the pinned
audit key (--key) and that the first tree is a prefix of the second: no entry the earlier
checkpoint covered was changed, removed or reordered. Exits 0 only when consistent, 1 when not.
Any authenticated agent or operator may ask: keep a checkpoint you saw and check later.

Example:
  proof-messenger audit consistency 120 --key audit-key.pub.json --operator-credential-file .data/operator.credential`,
  options: { key: AUDIT_KEY_OPTION, ...GOVERNANCE_OPTIONS },
  groups: GOVERNANCE_GROUPS,
  async run(invocation) {
    const { io, positionals, values } = invocation;
    const fromSize = treeSize('fromSize', positionals[0]);
    const toSize = treeSize('toSize', positionals[1]);
    return withGovernance(invocation, async (session) => {
      const key = await auditKeyToTrust(io, values, session);
      const answer = await session
        .audit()
        .call(
          'getConsistencyProof',
          { fromTreeSize: BigInt(fromSize), toTreeSize: BigInt(toSize) },
          session.options,
        );
      const older = fromCheckpointMessage(answer.fromCheckpoint);
      const newer = fromCheckpointMessage(answer.toCheckpoint);
      let failure: AuditVerificationError | undefined;
      try {
        if (older.treeSize !== fromSize || (toSize !== 0 && newer.treeSize !== toSize)) {
          throw new AuditVerificationError(
            `the server sent checkpoints of sizes ${older.treeSize} → ${newer.treeSize}, not the ones asked for`,
            { check: 'consistency', checkpointIndex: 1 },
          );
        }
        await verifyConsistency(
          older,
          newer,
          { fromSize: older.treeSize, toSize: newer.treeSize, hashes: answer.consistencyPath },
          key,
        );
      } catch (error) {
        if (!(error instanceof AuditVerificationError)) throw error;
        failure = error;
      }
      if (wantsJson(values)) {
        io.stdout(
          jsonLine({
            consistent: failure === undefined,
            ...(failure === undefined ? {} : { check: failure.check, message: failure.message }),
            keyId: key.keyId,
            from: checkpointJson(older),
            to: checkpointJson(newer),
          }),
        );
      } else {
        io.stdout(
          failure === undefined
            ? `consistent: the checkpoint of ${checkpointPhrase(newer)}\n  extends the checkpoint of ${checkpointPhrase(older)}\n  both signed by audit key ${key.keyId}\n`
            : `NOT consistent (check ${failure.check}): ${failure.message}\n`,
        );
      }
      return failure === undefined ? ExitCode.OK : ExitCode.FAILURE;
    });
  },
};
