/**
 * `audit verify [--key <file>] [--state <file>]`: downloads every signed checkpoint and every entry
 * they cover and checks the whole log offline with verifyAuditLog (entry hashes, the hash chain,
 * each checkpoint's signature and root, each checkpoint consistent with the one before). With
 * --state it also proves the log extends the checkpoint the previous run verified, so a history
 * rewritten between runs — even one re-signed with the audit key — is caught.
 */
import {
  type AuditEntry,
  AuditVerificationError,
  auditEntryHash,
  consistencyProof,
  MemoryMerkleTree,
  MerkleHasher,
  type SignedCheckpoint,
  verifyAuditLog,
  verifyConsistency,
} from '@proof-messenger/audit-log';
import { type CompositePublicKey, defaultProvider } from '@proof-messenger/crypto';
import { fromAuditEntryMessage, fromCheckpointMessage } from '@proof-messenger/governance/messages';
import { checkpointJson, checkpointPhrase } from '../audit-format.ts';
import { AUDIT_KEY_OPTION, auditKeyToTrust } from '../audit-key-option.ts';
import {
  type AuditVerifyState,
  readAuditVerifyState,
  writeAuditVerifyState,
} from '../audit-verify-state.ts';
import type { Command } from '../command.ts';
import { ExitCode } from '../exit-code.ts';
import { isoTime, jsonLine } from '../format.ts';
import { optionString, wantsJson } from '../global-options.ts';
import {
  GOVERNANCE_GROUPS,
  GOVERNANCE_OPTIONS,
  type GovernanceSession,
  withGovernance,
} from '../governance-session.ts';

const PAGE = 1000;

async function allCheckpoints(session: GovernanceSession): Promise<SignedCheckpoint[]> {
  const checkpoints: SignedCheckpoint[] = [];
  for (;;) {
    const after = checkpoints.at(-1)?.treeSize ?? 0;
    const page = await session
      .audit()
      .call('listCheckpoints', { afterTreeSize: BigInt(after), limit: PAGE }, session.options);
    checkpoints.push(...page.checkpoints.map(fromCheckpointMessage));
    if (page.checkpoints.length < PAGE) return checkpoints;
  }
}

async function entriesUpTo(session: GovernanceSession, size: number): Promise<AuditEntry[]> {
  const entries: AuditEntry[] = [];
  while (entries.length < size) {
    const count = Math.min(PAGE, size - entries.length);
    const page = await session
      .audit()
      .call('getEntries', { start: BigInt(entries.length), count }, session.options);
    entries.push(...page.entries.map(fromAuditEntryMessage));
    // A short page: the log holds fewer entries than its checkpoint states; verifyAuditLog says so.
    if (page.entries.length < count) break;
  }
  return entries;
}

/**
 * Proves that the log whose latest checkpoint is `latest` (and whose verified entries are
 * `entries`) extends the checkpoint a previous run saved.
 * @throws AuditVerificationError ('checkpoint-signature' or 'consistency')
 */
async function checkAgainstState(
  saved: AuditVerifyState,
  latest: SignedCheckpoint | undefined,
  entries: readonly AuditEntry[],
  key: CompositePublicKey,
): Promise<void> {
  const before = saved.checkpoint;
  const when = isoTime(saved.verifiedAtMs);
  const newerSize = latest?.treeSize ?? 0;
  if (latest === undefined || newerSize < before.treeSize) {
    throw new AuditVerificationError(
      `the log's latest checkpoint covers ${newerSize} entries, fewer than the ${before.treeSize} verified at ${when}: its history was truncated or replaced`,
      { check: 'consistency' },
    );
  }
  const hasher = new MerkleHasher(defaultProvider());
  const tree = new MemoryMerkleTree(hasher);
  for (const entry of entries) tree.append(auditEntryHash(hasher, entry));
  const proof = await consistencyProof(hasher, tree, before.treeSize, newerSize);
  try {
    await verifyConsistency(before, latest, proof, key);
  } catch (error) {
    if (!(error instanceof AuditVerificationError)) throw error;
    if (error.check === 'checkpoint-signature' && error.checkpointIndex === 0) {
      throw new AuditVerificationError(
        `the checkpoint saved in the state file (${checkpointPhrase(before)}) does not verify under this audit key: it was saved under another key, or the file was edited`,
        { check: 'checkpoint-signature' },
        { cause: error },
      );
    }
    if (error.check !== 'consistency') throw error;
    throw new AuditVerificationError(
      `the log does not extend the checkpoint of ${checkpointPhrase(before)} verified at ${when}: entries it covered were rewritten`,
      { check: 'consistency' },
      { cause: error },
    );
  }
}

function failureText(failure: AuditVerificationError): string {
  const where = [
    failure.entryIndex === undefined ? '' : `entry ${failure.entryIndex}`,
    failure.checkpointIndex === undefined ? '' : `checkpoint #${failure.checkpointIndex}`,
  ].filter((part) => part !== '');
  return `FAILED (check ${failure.check}${where.length === 0 ? '' : `, ${where.join(', ')}`}): ${failure.message}\n`;
}

export const auditVerify: Command = {
  name: 'audit verify',
  args: '',
  arity: [0, 0],
  summary: 'download and verify the whole audit log offline against --key (--state: across runs)',
  description: `Downloads every signed checkpoint and every entry they cover and verifies the whole audit log
offline against the pinned audit key (--key): each entry's hash and its link to the one before,
each checkpoint's signature and Merkle root, and each checkpoint consistent with the one before.
With --state <file> it also proves that the log extends the checkpoint verified by the previous
run with the same file (then saves the new latest one): a history rewritten between runs is
caught even if whoever rewrote it re-signed it. Prints "verified" with the counts, or "FAILED"
with the check that failed (chain, checkpoint-root, checkpoint-signature, consistency, …) and the
entry or checkpoint concerned; exits 0 only when verified, 1 when not. Entries newer than the
latest checkpoint are left for the next run. Needs ReadAudit (operators, under the default policy).

Example (pin the key once, then e.g. hourly from cron):
  proof-messenger audit key --out audit-key.pub.json --operator-credential-file .data/operator.credential
  proof-messenger audit verify --key audit-key.pub.json --state audit-verify.state.json \\
    --operator-credential-file .data/operator.credential`,
  options: {
    key: AUDIT_KEY_OPTION,
    state: {
      type: 'string',
      value: '<file>',
      description: 'remember the last verified checkpoint here and prove the next run extends it',
    },
    ...GOVERNANCE_OPTIONS,
  },
  groups: GOVERNANCE_GROUPS,
  async run(invocation) {
    const { io, values } = invocation;
    const statePath = optionString(values, 'state');
    const saved = statePath === undefined ? undefined : await readAuditVerifyState(statePath);
    return withGovernance(invocation, async (session) => {
      const key = await auditKeyToTrust(io, values, session);
      const checkpoints = await allCheckpoints(session);
      const latest = checkpoints.at(-1);
      const entries = await entriesUpTo(session, latest?.treeSize ?? 0);
      let failure: AuditVerificationError | undefined;
      try {
        await verifyAuditLog(entries, checkpoints, key);
        if (saved !== undefined) await checkAgainstState(saved, latest, entries, key);
      } catch (error) {
        if (!(error instanceof AuditVerificationError)) throw error;
        failure = error;
      }
      if (failure === undefined && statePath !== undefined && latest !== undefined) {
        await writeAuditVerifyState(statePath, { verifiedAtMs: Date.now(), checkpoint: latest });
      }
      if (wantsJson(values)) {
        io.stdout(
          jsonLine({
            verified: failure === undefined,
            ...(failure === undefined
              ? {}
              : {
                  check: failure.check,
                  message: failure.message,
                  ...(failure.entryIndex === undefined ? {} : { entryIndex: failure.entryIndex }),
                  ...(failure.checkpointIndex === undefined
                    ? {}
                    : { checkpointIndex: failure.checkpointIndex }),
                }),
            keyId: key.keyId,
            entries: entries.length,
            checkpoints: checkpoints.length,
            ...(latest === undefined ? {} : { latest: checkpointJson(latest) }),
            ...(saved === undefined ? {} : { previous: checkpointJson(saved.checkpoint) }),
          }),
        );
      } else if (failure !== undefined) {
        io.stdout(failureText(failure));
      } else if (latest === undefined) {
        io.stdout('verified: the audit log has no signed checkpoint yet, nothing to check\n');
      } else {
        io.stdout(
          [
            `verified: ${entries.length} entries under ${checkpoints.length} checkpoints, signed by audit key ${key.keyId}`,
            `  latest checkpoint: ${checkpointPhrase(latest)}`,
            ...(saved === undefined
              ? []
              : [
                  `  extends the checkpoint verified at ${isoTime(saved.verifiedAtMs)} (${checkpointPhrase(saved.checkpoint)})`,
                ]),
            ...(statePath === undefined ? [] : [`  saved to ${statePath} for the next run`]),
            '',
          ].join('\n'),
        );
      }
      return failure === undefined ? ExitCode.OK : ExitCode.FAILURE;
    });
  },
};
