/**
 * The audit log held in memory: assigns sequence numbers, chains each entry to the one before,
 * keeps the Merkle tree, signs checkpoints and answers proofs. It is the reference for the storage
 * adapters to come (embedded and PostgreSQL) and what the tests and the benchmark build logs with;
 * it is single-writer and not durable.
 */
import type { CompositeSigner } from '@proof-messenger/crypto';
import { type AuditEntry, auditEntryHash, GENESIS_PREVIOUS_HASH } from './audit-entry.ts';
import { type SignedCheckpoint, signCheckpoint } from './checkpoint.ts';
import { MemoryMerkleTree } from './memory-merkle-tree.ts';
import type { MerkleHasher } from './merkle-hasher.ts';
import {
  type ConsistencyProof,
  consistencyProof,
  type InclusionProof,
  inclusionProof,
} from './merkle-proofs.ts';

/**
 * What a caller supplies; the log fills in sequence and previousHash, and raises timeMs to the
 * previous entry's when it is earlier.
 */
export type AuditEntryInput = Omit<AuditEntry, 'sequence' | 'previousHash'>;

/** An append-only audit log in memory. */
export class MemoryAuditLog {
  readonly #hasher: MerkleHasher;
  readonly #tree: MemoryMerkleTree;
  readonly #entries: AuditEntry[] = [];
  #lastHash: Uint8Array = GENESIS_PREVIOUS_HASH;

  constructor(hasher: MerkleHasher) {
    this.#hasher = hasher;
    this.#tree = new MemoryMerkleTree(hasher);
  }

  /** The entries so far (read-only view). */
  get entries(): readonly AuditEntry[] {
    return this.#entries;
  }

  /** The Merkle tree over the entries. */
  get tree(): MemoryMerkleTree {
    return this.#tree;
  }

  /**
   * Appends an entry and returns it as stored: its time is raised to the previous entry's when
   * it is earlier, as the SQL store's sequencer does, so times never decrease along the log.
   * @throws InvalidArgumentError when a field is malformed (nothing is appended then)
   */
  append(input: AuditEntryInput): AuditEntry {
    const previous = this.#entries[this.#entries.length - 1];
    const entry: AuditEntry = {
      ...input,
      timeMs:
        previous !== undefined && previous.timeMs > input.timeMs ? previous.timeMs : input.timeMs,
      sequence: this.#entries.length,
      previousHash: this.#lastHash,
    };
    const hash = auditEntryHash(this.#hasher, entry);
    this.#tree.append(hash);
    this.#entries.push(entry);
    this.#lastHash = hash;
    return entry;
  }

  /** Signs a checkpoint of the whole log as it is now. */
  checkpoint(signer: CompositeSigner, timeMs: number): Promise<SignedCheckpoint> {
    return signCheckpoint(signer, {
      treeSize: this.#tree.size(),
      rootHash: this.#tree.rootHash(),
      timeMs,
    });
  }

  /** The inclusion proof of entry `sequence` in the tree of `treeSize` entries. */
  inclusionProof(sequence: number, treeSize: number): Promise<InclusionProof> {
    return inclusionProof(this.#hasher, this.#tree, sequence, treeSize);
  }

  /** The consistency proof between the trees of `fromSize` and `toSize` entries. */
  consistencyProof(fromSize: number, toSize: number): Promise<ConsistencyProof> {
    return consistencyProof(this.#hasher, this.#tree, fromSize, toSize);
  }
}
