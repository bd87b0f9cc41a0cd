/**
 * Signed checkpoints: the log's size, Merkle root and time, signed with the audit key's composite
 * ML-DSA-65 + Ed25519 signature (@proof-messenger/crypto CompositeSigner) under a context string
 * used for nothing else. The signed bytes are
 *
 *   PAE("proof-messenger/audit-checkpoint/v1", u64be(treeSize), rootHash, u64be(timeMs))
 *
 * signed with context "proof-messenger/audit-checkpoint/v1". A checkpoint commits the log to every
 * entry below treeSize: with consistency proofs between checkpoints, a log that rewrites history
 * must show two signed checkpoints that no consistency proof can join.
 */
import {
  type CompositePublicKey,
  type CompositeSignature,
  type CompositeSigner,
  type CryptoProvider,
  pae,
  utf8,
  verifyComposite,
} from '@proof-messenger/crypto';
import { checkHash, checkIndex, u64be } from './internal/checks.ts';

/** The composite-signature context of audit checkpoints. */
export const CHECKPOINT_SIGNATURE_CONTEXT: Uint8Array = utf8('proof-messenger/audit-checkpoint/v1');

/** What a checkpoint states. */
export interface CheckpointBody {
  /** How many entries the tree holds. */
  readonly treeSize: number;
  /** MTH of those entries. */
  readonly rootHash: Uint8Array;
  /** When the checkpoint was made, milliseconds since the Unix epoch. */
  readonly timeMs: number;
}

/** A checkpoint with the audit key's signature. */
export interface SignedCheckpoint extends CheckpointBody {
  /** Key id of the audit key that signed it (the signature, not this field, is what proves it). */
  readonly keyId: string;
  readonly signature: CompositeSignature;
}

/**
 * The signed bytes of a checkpoint.
 * @throws InvalidArgumentError on a negative or fractional size or time, or a root not 32 bytes
 */
export function encodeCheckpoint(body: CheckpointBody): Uint8Array {
  return pae(
    'proof-messenger/audit-checkpoint/v1',
    u64be(checkIndex('treeSize', body.treeSize)),
    checkHash('rootHash', body.rootHash),
    u64be(checkIndex('timeMs', body.timeMs)),
  );
}

/**
 * Signs a checkpoint with the audit key.
 * @throws InvalidArgumentError as encodeCheckpoint
 */
export async function signCheckpoint(
  signer: CompositeSigner,
  body: CheckpointBody,
): Promise<SignedCheckpoint> {
  const message = encodeCheckpoint(body);
  const signature = await signer.sign(message, CHECKPOINT_SIGNATURE_CONTEXT);
  return {
    treeSize: body.treeSize,
    rootHash: body.rootHash,
    timeMs: body.timeMs,
    keyId: signer.keyId,
    signature,
  };
}

/**
 * True when the checkpoint names `publicKey` and both signature components verify over its bytes.
 * @throws InvalidArgumentError when the checkpoint body is malformed (see encodeCheckpoint)
 */
export async function verifyCheckpointSignature(
  provider: CryptoProvider,
  publicKey: CompositePublicKey,
  checkpoint: SignedCheckpoint,
): Promise<boolean> {
  if (checkpoint.keyId !== publicKey.keyId) return false;
  return verifyComposite(
    provider,
    publicKey,
    encodeCheckpoint(checkpoint),
    checkpoint.signature,
    CHECKPOINT_SIGNATURE_CONTEXT,
  );
}
