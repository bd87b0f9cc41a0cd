/**
 * The storage port of the audit log: one implementation per storage (SqlAuditStore covers
 * node:sqlite and PostgreSQL), all held to one contract suite. The store is the log's single
 * sequencer: `append` assigns sequence numbers and chains entries atomically, even with several
 * processes appending to one database, and keeps every completed perfect subtree of the Merkle
 * tree so proofs need O(log n) lookups (it is a LeafSource). It stores checkpoints but never
 * signs them; AuditTrail does, with the audit key.
 */
import type { AuditEntry } from './audit-entry.ts';
import type { AuditPage, AuditQuery } from './audit-query.ts';
import type { SignedCheckpoint } from './checkpoint.ts';
import type { LeafSource } from './leaf-source.ts';
import type { AuditEntryInput } from './memory-audit-log.ts';

/** Limits of one store call. */
export const AUDIT_STORE_LIMITS = {
  /** Most entries one `append` takes (one transaction). */
  maxAppendBatch: 10_000,
  /** Most entries one `entries` call returns. */
  maxReadBatch: 1000,
  /** Most checkpoints one `listCheckpoints` call returns. */
  maxCheckpointList: 1000,
} as const;

/**
 * What `saveCheckpoint` did:
 * - `stored`: it is now the latest checkpoint;
 * - `duplicate`: a checkpoint of this tree size is stored already (nothing changed);
 * - `out-of-order`: a checkpoint of a larger size, or with a later time, is stored already, and
 *   checkpoints must grow in size and never go back in time (nothing changed).
 */
export type CheckpointSaveResult = 'stored' | 'duplicate' | 'out-of-order';

/** Durable, append-only storage of entries, tree nodes and checkpoints. */
export interface AuditStore extends LeafSource {
  /**
   * Appends entries atomically, in order: assigns consecutive sequence numbers after the current
   * head, chains each to the one before, stores each entry with its leaf hash and every perfect
   * subtree the append completes. Returns the entries as stored.
   * @throws InvalidArgumentError when any input is malformed or there are more than
   *   maxAppendBatch (nothing is written then)
   * @throws UnavailableError when the database cannot be reached (nothing is written then)
   */
  append(inputs: readonly AuditEntryInput[]): Promise<AuditEntry[]>;
  /** How many entries the log holds. */
  size(): Promise<number>;
  /**
   * Entries `start`, `start + 1`, … (at most `count` ≤ maxReadBatch, fewer at the end of the log).
   * @throws InvalidArgumentError when start or count is negative, fractional or count too large
   */
  entries(start: number, count: number): Promise<AuditEntry[]>;
  /**
   * The leaf hash of entry `index`.
   * @throws NotFoundError when the log has no such entry
   */
  leafHash(index: number): Promise<Uint8Array>;
  /**
   * The hash of the perfect subtree (level, index); level 0 is the leaf hash.
   * @throws NotFoundError when that subtree is not complete in the log
   */
  nodeHash(level: number, index: number): Promise<Uint8Array>;
  /**
   * One page of the entries matching `query`, newest first.
   * @throws InvalidArgumentError as normalizeAuditQuery (malformed token, bad page size …)
   */
  query(query: AuditQuery): Promise<AuditPage>;
  /**
   * Stores a signed checkpoint unless one of its size (or a later one) is stored already. The
   * store does not verify the signature (it has no key), but refuses a checkpoint that does not
   * describe this log.
   * @throws InvalidArgumentError when the checkpoint is malformed, larger than the log or its
   *   root is not the log's root at that size
   */
  saveCheckpoint(checkpoint: SignedCheckpoint): Promise<CheckpointSaveResult>;
  /** The checkpoint of the largest tree size, if any. */
  latestCheckpoint(): Promise<SignedCheckpoint | undefined>;
  /** The checkpoint of exactly `treeSize` entries, if one was stored. */
  checkpointAt(treeSize: number): Promise<SignedCheckpoint | undefined>;
  /** Checkpoints with a tree size above `afterSize`, smallest first, at most `limit`. */
  listCheckpoints(afterSize: number, limit: number): Promise<SignedCheckpoint[]>;
}
