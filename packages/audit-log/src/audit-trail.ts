/**
 * The audit log as a service uses it: a store (the sequencer and the durable copy), the Merkle
 * hasher and, on instances that hold it, the audit key. It appends, signs checkpoints, and answers
 * proofs and queries with errors that tell the caller what to fix.
 *
 * Checkpoints: `checkpoint()` signs (size, root, time) when the log grew since the latest stored
 * checkpoint. Several instances may call it at once; the store keeps one checkpoint per size and
 * refuses one that would go back (a smaller size or an earlier time than one stored), so the
 * stored checkpoints always form the increasing sequence the offline verifier requires. The time
 * is never earlier than the latest checkpoint's, so an instance whose clock lags cannot stall
 * checkpointing. An instance without the key serves proofs and stored checkpoints but signs none.
 */
import type { CompositePublicKey, CompositeSigner } from '@proof-messenger/crypto';
import { InvalidArgumentError, NotFoundError } from '@proof-messenger/errors';
import type { AuditEntry } from './audit-entry.ts';
import type { AuditPage, AuditQuery } from './audit-query.ts';
import type { AuditStore } from './audit-store.ts';
import { type SignedCheckpoint, signCheckpoint } from './checkpoint.ts';
import type { AuditEntryInput } from './memory-audit-log.ts';
import type { MerkleHasher } from './merkle-hasher.ts';
import {
  type ConsistencyProof,
  consistencyProof,
  type InclusionProof,
  inclusionProof,
  treeRoot,
} from './merkle-proofs.ts';

/** What an AuditTrail is built from. */
export interface AuditTrailOptions {
  readonly store: AuditStore;
  readonly hasher: MerkleHasher;
  /** The audit key; without it `checkpoint()` only returns the latest stored checkpoint. */
  readonly signer?: CompositeSigner;
  /** Milliseconds since the Unix epoch (default Date.now). */
  readonly now?: () => number;
}

/** How often checkpoint() retries when another instance stored a checkpoint meanwhile. */
const CHECKPOINT_ATTEMPTS = 3;

function checkCount(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new InvalidArgumentError(
      `${name} must be a non-negative integer, got ${typeof value === 'number' ? value : typeof value}`,
      { field: name },
    );
  }
  return value;
}

/** The service-level audit log over one store. */
export class AuditTrail {
  readonly #store: AuditStore;
  readonly #hasher: MerkleHasher;
  readonly #signer: CompositeSigner | undefined;
  readonly #now: () => number;

  constructor(options: AuditTrailOptions) {
    this.#store = options.store;
    this.#hasher = options.hasher;
    this.#signer = options.signer;
    this.#now = options.now ?? Date.now;
  }

  /** The audit public key checkpoints are signed with, when this instance holds the key. */
  get publicKey(): CompositePublicKey | undefined {
    return this.#signer?.publicKey;
  }

  /**
   * Appends entries in one transaction; returns them with sequence and previousHash.
   * @throws InvalidArgumentError when any input is malformed (nothing is appended)
   */
  append(inputs: readonly AuditEntryInput[]): Promise<AuditEntry[]> {
    return this.#store.append(inputs);
  }

  /** How many entries the log holds. */
  size(): Promise<number> {
    return this.#store.size();
  }

  /**
   * Signs and stores a checkpoint of the log as it is now, if it grew since the latest stored
   * checkpoint, and returns the latest checkpoint (undefined while the log has none and this
   * instance cannot or need not sign one).
   */
  async checkpoint(): Promise<SignedCheckpoint | undefined> {
    for (let attempt = 1; ; attempt++) {
      const latest = await this.#store.latestCheckpoint();
      const size = await this.#store.size();
      if (this.#signer === undefined || size === 0 || (latest && latest.treeSize >= size)) {
        return latest;
      }
      const rootHash = await treeRoot(this.#hasher, this.#store, size);
      const timeMs = Math.max(this.#now(), latest?.timeMs ?? 0);
      const signed = await signCheckpoint(this.#signer, { treeSize: size, rootHash, timeMs });
      const result = await this.#store.saveCheckpoint(signed);
      if (result === 'stored') return signed;
      if (result === 'duplicate' || attempt >= CHECKPOINT_ATTEMPTS) {
        return this.#store.latestCheckpoint();
      }
      // out-of-order: another instance stored a later checkpoint meanwhile; look again.
    }
  }

  /** The checkpoint of the largest tree size, if any. */
  latestCheckpoint(): Promise<SignedCheckpoint | undefined> {
    return this.#store.latestCheckpoint();
  }

  /** The checkpoint of exactly `treeSize` entries, if one was stored. */
  checkpointAt(treeSize: number): Promise<SignedCheckpoint | undefined> {
    return this.#store.checkpointAt(checkCount('treeSize', treeSize));
  }

  /** Checkpoints above `afterSize`, smallest first, at most `limit` (1..1000). */
  listCheckpoints(afterSize: number, limit: number): Promise<SignedCheckpoint[]> {
    return this.#store.listCheckpoints(afterSize, limit);
  }

  async #checkTreeSize(name: string, treeSize: number): Promise<void> {
    const size = await this.#store.size();
    if (treeSize > size) {
      throw new NotFoundError(
        `${name} ${treeSize} exceeds the log's ${size} entries; ask for a size of at most ${size} (a checkpoint's tree size)`,
        { field: name },
      );
    }
  }

  /**
   * The inclusion proof of entry `sequence` in the tree of the first `treeSize` entries.
   * @throws InvalidArgumentError when either is not a non-negative integer or sequence ≥ treeSize
   * @throws NotFoundError when treeSize exceeds the log
   */
  async inclusionProof(sequence: number, treeSize: number): Promise<InclusionProof> {
    checkCount('sequence', sequence);
    checkCount('treeSize', treeSize);
    if (sequence >= treeSize) {
      throw new InvalidArgumentError(
        `sequence ${sequence} is not in a tree of ${treeSize} entries; use a tree size greater than the sequence`,
        { field: 'sequence' },
      );
    }
    await this.#checkTreeSize('treeSize', treeSize);
    return inclusionProof(this.#hasher, this.#store, sequence, treeSize);
  }

  /**
   * The consistency proof from the tree of `fromSize` entries to the tree of `toSize` entries.
   * @throws InvalidArgumentError when either is not a non-negative integer or fromSize > toSize
   * @throws NotFoundError when toSize exceeds the log
   */
  async consistencyProof(fromSize: number, toSize: number): Promise<ConsistencyProof> {
    checkCount('fromSize', fromSize);
    checkCount('toSize', toSize);
    if (fromSize > toSize) {
      throw new InvalidArgumentError(
        `fromSize ${fromSize} is larger than toSize ${toSize}; a consistency proof goes from the older (smaller) tree to the newer`,
        { field: 'fromSize' },
      );
    }
    await this.#checkTreeSize('toSize', toSize);
    return consistencyProof(this.#hasher, this.#store, fromSize, toSize);
  }

  /**
   * One page of the entries matching `query`, newest first.
   * @throws InvalidArgumentError naming the bad filter field or a malformed page token
   */
  query(query: AuditQuery): Promise<AuditPage> {
    return this.#store.query(query);
  }

  /**
   * Entries from `start`, at most `count` (≤ 1000).
   * @throws InvalidArgumentError when start or count is out of range
   */
  entries(start: number, count: number): Promise<AuditEntry[]> {
    return this.#store.entries(start, count);
  }
}
