/**
 * Conversions between the audit log's records and their protobuf messages. Both directions are
 * exact (every field, bytes unchanged), because the offline verifier rebuilds the entry's
 * canonical encoding from the message it received: a lossy conversion would make every honest
 * proof fail. Also exported alone as `@proof-messenger/governance/messages`, so tools (the CLI)
 * convert without loading the policy engine and the storage drivers.
 */
import { create } from '@bufbuild/protobuf';
import type { AuditEntry, AuditOutcome, SignedCheckpoint } from '@proof-messenger/audit-log';
import type { CompositePublicKey } from '@proof-messenger/crypto';
import { InvalidArgumentError } from '@proof-messenger/errors';
import {
  type AuditCheckpoint,
  AuditCheckpointSchema,
  type AuditEntry as AuditEntryMessage,
  AuditEntrySchema,
  type IdentityPublicKey,
  IdentityPublicKeySchema,
} from '@proof-messenger/proto';

const OUTCOMES: readonly string[] = ['success', 'denied', 'failure'];

/** The wire form of an entry. */
export function toAuditEntryMessage(entry: AuditEntry): AuditEntryMessage {
  return create(AuditEntrySchema, {
    sequence: BigInt(entry.sequence),
    timeMs: BigInt(entry.timeMs),
    actor: entry.actor,
    action: entry.action,
    target: entry.target,
    outcome: entry.outcome,
    reason: entry.reason,
    details: { ...entry.details },
    messageIds: [...entry.messageIds],
    messageHashes: [...entry.messageHashes],
    previousHash: entry.previousHash,
  });
}

/**
 * The entry a message carries.
 * @throws InvalidArgumentError when a number is out of range or the outcome unknown
 */
export function fromAuditEntryMessage(message: AuditEntryMessage): AuditEntry {
  if (!OUTCOMES.includes(message.outcome)) {
    throw new InvalidArgumentError(`entry outcome ${JSON.stringify(message.outcome)} is unknown`);
  }
  return {
    sequence: safeNumber('sequence', message.sequence),
    timeMs: safeNumber('time_ms', message.timeMs),
    actor: message.actor,
    action: message.action,
    target: message.target,
    outcome: message.outcome as AuditOutcome,
    reason: message.reason,
    details: { ...message.details },
    messageIds: [...message.messageIds],
    messageHashes: [...message.messageHashes],
    previousHash: message.previousHash,
  };
}

/** The wire form of a signed checkpoint. */
export function toCheckpointMessage(checkpoint: SignedCheckpoint): AuditCheckpoint {
  return create(AuditCheckpointSchema, {
    treeSize: BigInt(checkpoint.treeSize),
    rootHash: checkpoint.rootHash,
    timeMs: BigInt(checkpoint.timeMs),
    signature: {
      keyId: checkpoint.keyId,
      mlDsa65: checkpoint.signature.mlDsa65,
      ed25519: checkpoint.signature.ed25519,
    },
  });
}

/**
 * The signed checkpoint a message carries.
 * @throws InvalidArgumentError when the signature is missing or a number out of range
 */
export function fromCheckpointMessage(message: AuditCheckpoint | undefined): SignedCheckpoint {
  if (message?.signature === undefined) {
    throw new InvalidArgumentError('checkpoint and its signature are required');
  }
  return {
    treeSize: safeNumber('tree_size', message.treeSize),
    rootHash: message.rootHash,
    timeMs: safeNumber('time_ms', message.timeMs),
    keyId: message.signature.keyId,
    signature: { mlDsa65: message.signature.mlDsa65, ed25519: message.signature.ed25519 },
  };
}

/** The wire form of the audit public key. */
export function toPublicKeyMessage(key: CompositePublicKey): IdentityPublicKey {
  return create(IdentityPublicKeySchema, {
    keyId: key.keyId,
    mlDsa65: key.mlDsa65,
    ed25519: key.ed25519,
  });
}

/** The audit public key a message carries. */
export function fromPublicKeyMessage(message: IdentityPublicKey | undefined): CompositePublicKey {
  if (message === undefined) throw new InvalidArgumentError('audit public key is required');
  return { keyId: message.keyId, mlDsa65: message.mlDsa65, ed25519: message.ed25519 };
}

function safeNumber(field: string, value: bigint): number {
  if (value < 0n || value > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new InvalidArgumentError(`${field} ${value} is out of range`, { field });
  }
  return Number(value);
}
