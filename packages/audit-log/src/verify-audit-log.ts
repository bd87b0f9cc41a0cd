/**
 * The offline verifier. It trusts nothing the log's server says: only the entries, the proofs and
 * the audit public key. Everything is recomputed — entry hashes, the chain, Merkle roots — and
 * every checkpoint must carry a valid composite signature of the audit key. Each failure is an
 * AuditVerificationError naming the check and the entry or checkpoint.
 *
 * What a pass means: the entries are exactly the ones the audit key signed checkpoints over, in
 * that order, and each checkpoint extends the one before. What it cannot mean: that the log never
 * showed someone else a different history (that needs checkpoints gossiped or witnessed) or that
 * entries after the last checkpoint are authentic (verifyAuditLog refuses them unless allowed).
 */
import {
  type CompositePublicKey,
  type CryptoProvider,
  defaultProvider,
  equalBytes,
} from '@proof-messenger/crypto';
import { type AuditEntry, auditEntryHash, GENESIS_PREVIOUS_HASH } from './audit-entry.ts';
import { type AuditFailure, AuditVerificationError } from './audit-verification-error.ts';
import { type SignedCheckpoint, verifyCheckpointSignature } from './checkpoint.ts';
import { MemoryMerkleTree } from './memory-merkle-tree.ts';
import { MerkleHasher } from './merkle-hasher.ts';
import { type ConsistencyProof, consistencyProof, type InclusionProof } from './merkle-proofs.ts';
import { verifyConsistencyProof, verifyInclusionProof } from './proof-verification.ts';

/** Options of the verifiers. */
export interface VerifyOptions {
  /** The crypto provider (default: the runtime's best, see defaultProvider). */
  readonly provider?: CryptoProvider;
  /**
   * Accept entries after the last checkpoint (they are chain-checked but no signature covers
   * them). Default false: every entry must be under a signed checkpoint.
   */
  readonly allowUncheckpointedTail?: boolean;
}

/** What verifyAuditLog established. */
export interface AuditLogVerification {
  /** Entries checked (all of them chain-checked). */
  readonly entryCount: number;
  /** Checkpoints checked. */
  readonly checkpointCount: number;
  /** Entries covered by the last checkpoint's signature. */
  readonly verifiedSize: number;
  /** The last checkpoint's root (the empty-tree hash when there is none). */
  readonly rootHash: Uint8Array;
}

function fail(message: string, failure: AuditFailure, cause?: unknown): never {
  throw new AuditVerificationError(message, failure, cause === undefined ? undefined : { cause });
}

async function checkSignature(
  provider: CryptoProvider,
  key: CompositePublicKey,
  checkpoint: SignedCheckpoint,
  checkpointIndex: number,
): Promise<void> {
  let valid: boolean;
  try {
    valid = await verifyCheckpointSignature(provider, key, checkpoint);
  } catch (error) {
    fail(
      `checkpoint ${checkpointIndex} is malformed: ${(error as Error).message}`,
      { check: 'checkpoint-signature', checkpointIndex },
      error,
    );
  }
  if (!valid) {
    fail(
      checkpoint.keyId === key.keyId
        ? `checkpoint ${checkpointIndex} (size ${checkpoint.treeSize}): the audit key's signature does not verify`
        : `checkpoint ${checkpointIndex} (size ${checkpoint.treeSize}) names key ${checkpoint.keyId}, not the audit key ${key.keyId}`,
      { check: 'checkpoint-signature', checkpointIndex },
    );
  }
}

function entryHash(hasher: MerkleHasher, entry: AuditEntry, entryIndex: number): Uint8Array {
  try {
    return auditEntryHash(hasher, entry);
  } catch (error) {
    fail(
      `entry ${entryIndex} is malformed: ${(error as Error).message}`,
      { check: 'entry-encoding', entryIndex },
      error,
    );
  }
}

/**
 * Verifies a whole log from entry 0: sequence numbers, the hash chain, that entry times never go
 * back, every checkpoint's signature and root, the order of the checkpoints and the consistency
 * of each with the one before; by default also that the last checkpoint covers every entry.
 * @throws AuditVerificationError naming the first check that fails
 */
export async function verifyAuditLog(
  entries: readonly AuditEntry[],
  checkpoints: readonly SignedCheckpoint[],
  auditPublicKey: CompositePublicKey,
  options: VerifyOptions = {},
): Promise<AuditLogVerification> {
  const provider = options.provider ?? defaultProvider();
  const hasher = new MerkleHasher(provider);
  const tree = new MemoryMerkleTree(hasher);
  let previous = GENESIS_PREVIOUS_HASH;
  for (const [i, entry] of entries.entries()) {
    const hash = entryHash(hasher, entry, i);
    if (entry.sequence !== i) {
      fail(`entry ${i} has sequence ${entry.sequence}, expected ${i}`, {
        check: 'sequence',
        entryIndex: i,
      });
    }
    if (!equalBytes(entry.previousHash, previous)) {
      fail(
        i === 0
          ? 'entry 0: previous hash is not the genesis value (32 zero bytes)'
          : `entry ${i}: previous hash does not match the hash of entry ${i - 1}`,
        { check: 'chain', entryIndex: i },
      );
    }
    const before = entries[i - 1];
    if (before !== undefined && entry.timeMs < before.timeMs) {
      fail(
        `entry ${i}: time ${entry.timeMs} is earlier than the time ${before.timeMs} of entry ${i - 1}; the log never lets times go back`,
        { check: 'time-order', entryIndex: i },
      );
    }
    tree.append(hash);
    previous = hash;
  }

  let last: SignedCheckpoint | undefined;
  for (const [j, checkpoint] of checkpoints.entries()) {
    await checkSignature(provider, auditPublicKey, checkpoint, j);
    if (
      last !== undefined &&
      (checkpoint.treeSize < last.treeSize || checkpoint.timeMs < last.timeMs)
    ) {
      fail(
        `checkpoint ${j} (size ${checkpoint.treeSize}, time ${checkpoint.timeMs}) goes back from checkpoint ${j - 1} (size ${last.treeSize}, time ${last.timeMs})`,
        { check: 'checkpoint-order', checkpointIndex: j },
      );
    }
    if (checkpoint.treeSize > entries.length) {
      fail(
        `checkpoint ${j} covers ${checkpoint.treeSize} entries but the log has ${entries.length}`,
        { check: 'checkpoint-size', checkpointIndex: j, entryIndex: entries.length },
      );
    }
    const from = last?.treeSize ?? 0;
    if (!equalBytes(tree.rootHash(checkpoint.treeSize), checkpoint.rootHash)) {
      fail(
        `checkpoint ${j} (size ${checkpoint.treeSize}): its root does not match the entries; an entry in [${from}, ${checkpoint.treeSize}) differs from what was signed`,
        { check: 'checkpoint-root', checkpointIndex: j, entryIndex: from },
      );
    }
    if (last !== undefined) {
      const proof = await consistencyProof(hasher, tree, last.treeSize, checkpoint.treeSize);
      if (
        !verifyConsistencyProof(
          hasher,
          last.treeSize,
          checkpoint.treeSize,
          last.rootHash,
          checkpoint.rootHash,
          proof.hashes,
        )
      ) {
        fail(`checkpoint ${j} is not consistent with checkpoint ${j - 1}`, {
          check: 'consistency',
          checkpointIndex: j,
        });
      }
    }
    last = checkpoint;
  }

  const verifiedSize = last?.treeSize ?? 0;
  if (verifiedSize < entries.length && options.allowUncheckpointedTail !== true) {
    fail(`entries ${verifiedSize}..${entries.length - 1} are not covered by a signed checkpoint`, {
      check: 'coverage',
      entryIndex: verifiedSize,
    });
  }
  return {
    entryCount: entries.length,
    checkpointCount: checkpoints.length,
    verifiedSize,
    rootHash: last?.rootHash ?? hasher.emptyRoot(),
  };
}

/**
 * Verifies that `entry` is in the tree a signed checkpoint commits to.
 * @throws AuditVerificationError ('checkpoint-signature', 'entry-encoding' or 'inclusion')
 */
export async function verifyInclusion(
  entry: AuditEntry,
  proof: InclusionProof,
  checkpoint: SignedCheckpoint,
  auditPublicKey: CompositePublicKey,
  options: VerifyOptions = {},
): Promise<void> {
  const provider = options.provider ?? defaultProvider();
  const hasher = new MerkleHasher(provider);
  await checkSignature(provider, auditPublicKey, checkpoint, 0);
  const entryIndex = entry.sequence;
  const hash = entryHash(hasher, entry, entryIndex);
  if (proof.treeSize !== checkpoint.treeSize) {
    fail(
      `the inclusion proof is for tree size ${proof.treeSize}, the checkpoint for ${checkpoint.treeSize}`,
      { check: 'inclusion', entryIndex },
    );
  }
  if (proof.leafIndex !== entryIndex) {
    fail(`the inclusion proof is for entry ${proof.leafIndex}, not entry ${entryIndex}`, {
      check: 'inclusion',
      entryIndex,
    });
  }
  if (
    !verifyInclusionProof(
      hasher,
      proof.leafIndex,
      proof.treeSize,
      hash,
      proof.hashes,
      checkpoint.rootHash,
    )
  ) {
    fail(
      `entry ${entryIndex} is not proven to be in the checkpoint of ${checkpoint.treeSize} entries`,
      { check: 'inclusion', entryIndex },
    );
  }
}

/**
 * Verifies that the log of signed checkpoint `newer` extends the log of signed checkpoint `older`.
 * @throws AuditVerificationError ('checkpoint-signature' with checkpointIndex 0 for older and 1
 *   for newer, or 'consistency')
 */
export async function verifyConsistency(
  older: SignedCheckpoint,
  newer: SignedCheckpoint,
  proof: ConsistencyProof,
  auditPublicKey: CompositePublicKey,
  options: VerifyOptions = {},
): Promise<void> {
  const provider = options.provider ?? defaultProvider();
  const hasher = new MerkleHasher(provider);
  await checkSignature(provider, auditPublicKey, older, 0);
  await checkSignature(provider, auditPublicKey, newer, 1);
  if (proof.fromSize !== older.treeSize || proof.toSize !== newer.treeSize) {
    fail(
      `the consistency proof is for sizes ${proof.fromSize} → ${proof.toSize}, the checkpoints are ${older.treeSize} → ${newer.treeSize}`,
      { check: 'consistency', checkpointIndex: 1 },
    );
  }
  if (
    !verifyConsistencyProof(
      hasher,
      older.treeSize,
      newer.treeSize,
      older.rootHash,
      newer.rootHash,
      proof.hashes,
    )
  ) {
    fail(
      `the checkpoint of ${newer.treeSize} entries is not proven to extend the checkpoint of ${older.treeSize}`,
      { check: 'consistency', checkpointIndex: 1 },
    );
  }
}
