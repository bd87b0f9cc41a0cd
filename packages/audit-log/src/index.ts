export type { AuditEntry, AuditOutcome } from './audit-entry.ts';
export {
  AUDIT_ENTRY_LIMITS,
  auditEntryHash,
  encodeAuditEntry,
  GENESIS_PREVIOUS_HASH,
} from './audit-entry.ts';
export type { AuditKeyConfigOptions } from './audit-key.ts';
export {
  AUDIT_KEY_FILE_NAME,
  AUDIT_PUBLIC_KEY_SIZE,
  auditKeyFromConfig,
  createAuditKeyFile,
  decodeAuditPublicKey,
  encodeAuditPublicKey,
  loadOrCreateAuditKey,
  readAuditKey,
} from './audit-key.ts';
export type { AuditLogger } from './audit-logger.ts';
export { SILENT_AUDIT_LOGGER } from './audit-logger.ts';
export { auditMigrations } from './audit-migrations.ts';
export type { AuditPage, AuditQuery } from './audit-query.ts';
export { AUDIT_QUERY_LIMITS } from './audit-query.ts';
export type { AuditRecorderOptions, AuditRecorderStats } from './audit-recorder.ts';
export { AuditRecorder } from './audit-recorder.ts';
export type { AuditEvent, AuditSink } from './audit-sink.ts';
export { AUDIT_ACTIONS, DISCARD_AUDIT } from './audit-sink.ts';
export type { AuditStore, CheckpointSaveResult } from './audit-store.ts';
export { AUDIT_STORE_LIMITS } from './audit-store.ts';
export type { AuditTrailOptions } from './audit-trail.ts';
export { AuditTrail } from './audit-trail.ts';
export type { AuditCheck, AuditFailure } from './audit-verification-error.ts';
export { AuditVerificationError } from './audit-verification-error.ts';
export type { CheckpointBody, SignedCheckpoint } from './checkpoint.ts';
export {
  CHECKPOINT_SIGNATURE_CONTEXT,
  encodeCheckpoint,
  signCheckpoint,
  verifyCheckpointSignature,
} from './checkpoint.ts';
export type { CheckpointSchedulerOptions } from './checkpoint-scheduler.ts';
export { CheckpointScheduler } from './checkpoint-scheduler.ts';
export type { Awaitable, LeafSource } from './leaf-source.ts';
export type { AuditEntryInput } from './memory-audit-log.ts';
export { MemoryAuditLog } from './memory-audit-log.ts';
export { MemoryMerkleTree } from './memory-merkle-tree.ts';
export { HASH_SIZE, MerkleHasher } from './merkle-hasher.ts';
export type { ConsistencyProof, InclusionProof } from './merkle-proofs.ts';
export { consistencyProof, inclusionProof, treeRoot } from './merkle-proofs.ts';
export { verifyConsistencyProof, verifyInclusionProof } from './proof-verification.ts';
export { SqlAuditStore } from './sql-audit-store.ts';
export type { AuditLogVerification, VerifyOptions } from './verify-audit-log.ts';
export { verifyAuditLog, verifyConsistency, verifyInclusion } from './verify-audit-log.ts';
