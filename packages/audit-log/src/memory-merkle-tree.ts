/**
 * An in-memory append-only Merkle tree that keeps every complete node of every level, each level in
 * one growable byte buffer (32 bytes per node; about 64 MiB for 1,000,000 leaves, with no per-node
 * object). Appending hashes one leaf's new ancestors (amortized one node hash); the root of any
 * earlier size and every proof node are O(log n) lookups plus the right-edge folds.
 */
import { InvalidArgumentError } from '@proof-messenger/errors';
import { checkHash, checkIndex } from './internal/checks.ts';
import { foldRange, rangeNodes } from './internal/tree-plan.ts';
import type { LeafSource } from './leaf-source.ts';
import { HASH_SIZE, type MerkleHasher } from './merkle-hasher.ts';

class Level {
  bytes = new Uint8Array(HASH_SIZE * 16);
  count = 0;

  push(hash: Uint8Array): void {
    if ((this.count + 1) * HASH_SIZE > this.bytes.length) {
      const grown = new Uint8Array(this.bytes.length * 2);
      grown.set(this.bytes);
      this.bytes = grown;
    }
    this.bytes.set(hash, this.count * HASH_SIZE);
    this.count++;
  }

  get(index: number): Uint8Array {
    return this.bytes.subarray(index * HASH_SIZE, (index + 1) * HASH_SIZE);
  }
}

/** The whole tree in memory; implements LeafSource for proof generation. */
export class MemoryMerkleTree implements LeafSource {
  readonly #hasher: MerkleHasher;
  readonly #levels: Level[] = [new Level()];

  constructor(hasher: MerkleHasher) {
    this.#hasher = hasher;
  }

  /** The number of leaves. */
  size(): number {
    return (this.#levels[0] as Level).count;
  }

  /**
   * Appends a leaf hash (SHA-256(0x00 || leaf), see MerkleHasher.hashLeaf) and returns its index.
   * @throws InvalidArgumentError when it is not 32 bytes
   */
  append(leafHash: Uint8Array): number {
    checkHash('leaf hash', leafHash);
    const index = this.size();
    (this.#levels[0] as Level).push(leafHash);
    // A node completes whenever its right child does: climb while the new node is a right child.
    let level = 0;
    let i = index;
    while (i % 2 === 1) {
      const below = this.#levels[level] as Level;
      const parent = this.#hasher.hashChildren(below.get(i - 1), below.get(i));
      level++;
      if (this.#levels.length === level) this.#levels.push(new Level());
      (this.#levels[level] as Level).push(parent);
      i = (i - 1) / 2;
    }
    return index;
  }

  /** The leaf hash at `index` (a view; do not modify). */
  leafHash(index: number): Uint8Array {
    return this.nodeHash(0, index);
  }

  /**
   * The perfect subtree hash at (level, index) (a view; do not modify).
   * @throws InvalidArgumentError when that subtree is not complete yet
   */
  nodeHash(level: number, index: number): Uint8Array {
    checkIndex('level', level);
    checkIndex('index', index);
    const row = this.#levels[level];
    if (row === undefined || index >= row.count) {
      throw new InvalidArgumentError(
        `node (level ${level}, index ${index}) is beyond the tree of ${this.size()} leaves`,
        { field: 'index' },
      );
    }
    return row.get(index);
  }

  /**
   * MTH of the first `treeSize` leaves (default: all).
   * @throws InvalidArgumentError when treeSize exceeds the number of leaves
   */
  rootHash(treeSize: number = this.size()): Uint8Array {
    checkIndex('tree size', treeSize);
    if (treeSize > this.size()) {
      throw new InvalidArgumentError(
        `tree size ${treeSize} exceeds the tree of ${this.size()} leaves`,
        { field: 'treeSize' },
      );
    }
    if (treeSize === 0) return this.#hasher.emptyRoot();
    return foldRange(
      this.#hasher,
      rangeNodes(0, treeSize).map((node) => this.nodeHash(node.level, node.index)),
    );
  }
}
