/**
 * The one error of audit verification: names the check that failed and where (entry and
 * checkpoint index), so an operator knows which record to look at. Its gRPC code is DATA_LOSS
 * ("unrecoverable data loss or corruption"): a log that fails verification was altered or
 * corrupted, and retrying will not change that.
 *
 * Its reason is AUDIT_INVALID (errors.proto), with the failed check in the metadata.
 */
import { Code, ProofMessengerError, Reason } from '@proof-messenger/errors';

/** Which check failed. */
export type AuditCheck =
  /** An entry is malformed (cannot be encoded). */
  | 'entry-encoding'
  /** An entry's sequence is not its position in the log. */
  | 'sequence'
  /** An entry's previousHash is not the hash of the entry before it. */
  | 'chain'
  /** An entry's time is earlier than the time of the entry before it. */
  | 'time-order'
  /** A checkpoint's signature does not verify under the audit key (or names another key). */
  | 'checkpoint-signature'
  /** A checkpoint covers more entries than the log holds. */
  | 'checkpoint-size'
  /** A checkpoint's root is not the Merkle root recomputed from the entries. */
  | 'checkpoint-root'
  /** Checkpoints go back in size or time. */
  | 'checkpoint-order'
  /** Entries after the last checkpoint, which no signature covers. */
  | 'coverage'
  /** A consistency proof does not prove the older checkpoint a prefix of the newer. */
  | 'consistency'
  /** An inclusion proof does not prove the entry is in the checkpoint's tree. */
  | 'inclusion';

/** Facts of a failed audit verification. */
export interface AuditFailure {
  readonly check: AuditCheck;
  /** The entry concerned, when there is one. */
  readonly entryIndex?: number;
  /** The checkpoint concerned (index in the list given), when there is one. */
  readonly checkpointIndex?: number;
}

/** The audit log, a proof or a checkpoint failed verification. */
export class AuditVerificationError extends ProofMessengerError {
  override name = 'AuditVerificationError';
  readonly check: AuditCheck;
  readonly entryIndex: number | undefined;
  readonly checkpointIndex: number | undefined;

  constructor(message: string, failure: AuditFailure, options?: ErrorOptions) {
    const metadata: Record<string, string> = { check: failure.check };
    if (failure.entryIndex !== undefined) metadata.entryIndex = String(failure.entryIndex);
    if (failure.checkpointIndex !== undefined) {
      metadata.checkpointIndex = String(failure.checkpointIndex);
    }
    super(Code.DATA_LOSS, Reason.AUDIT_INVALID, message, { ...options, metadata });
    this.check = failure.check;
    this.entryIndex = failure.entryIndex;
    this.checkpointIndex = failure.checkpointIndex;
  }
}
