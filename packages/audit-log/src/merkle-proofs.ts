/**
 * Generation of RFC 9162 proofs from a LeafSource: the Merkle tree hash of a tree size
 * (§2.1.1), inclusion proofs (audit paths, §2.1.3.1; RFC 6962 §2.1.1) and consistency proofs
 * (§2.1.4.1; RFC 6962 §2.1.2). The nodes a proof needs are planned first and fetched together, so
 * with a source that stores every level a proof costs O(log n) lookups and at most O(log n) hashes
 * per right-edge range.
 */
import { InvalidArgumentError } from '@proof-messenger/errors';
import { checkIndex } from './internal/checks.ts';
import {
  consistencyPlan,
  foldRange,
  inclusionPlan,
  type NodeCoordinate,
  rangeNodes,
} from './internal/tree-plan.ts';
import type { LeafSource } from './leaf-source.ts';
import type { MerkleHasher } from './merkle-hasher.ts';

/** An inclusion proof: the audit path of leaf `leafIndex` in the tree of `treeSize` leaves. */
export interface InclusionProof {
  readonly leafIndex: number;
  readonly treeSize: number;
  /** Sibling hashes from the leaf upward (RFC 9162 inclusion_path). */
  readonly hashes: readonly Uint8Array[];
}

/** A consistency proof between the trees of `fromSize` and `toSize` leaves. */
export interface ConsistencyProof {
  readonly fromSize: number;
  readonly toSize: number;
  /** RFC 9162 consistency_path. */
  readonly hashes: readonly Uint8Array[];
}

async function nodeOf(
  hasher: MerkleHasher,
  source: LeafSource,
  node: NodeCoordinate,
): Promise<Uint8Array> {
  if (node.level === 0) return await source.leafHash(node.index);
  if (source.nodeHash !== undefined) return await source.nodeHash(node.level, node.index);
  // No stored interior nodes: compute this one from its two halves.
  const [left, right] = await Promise.all([
    nodeOf(hasher, source, { level: node.level - 1, index: node.index * 2 }),
    nodeOf(hasher, source, { level: node.level - 1, index: node.index * 2 + 1 }),
  ]);
  return hasher.hashChildren(left, right);
}

async function resolve(
  hasher: MerkleHasher,
  source: LeafSource,
  plan: readonly (readonly NodeCoordinate[])[],
): Promise<Uint8Array[]> {
  const hashes = await Promise.all(
    plan.map((range) => Promise.all(range.map((node) => nodeOf(hasher, source, node)))),
  );
  return hashes.map((range) => foldRange(hasher, range));
}

async function checkSize(source: LeafSource, treeSize: number): Promise<void> {
  const available = await source.size();
  if (treeSize > available) {
    throw new InvalidArgumentError(`tree size ${treeSize} exceeds the log's ${available} entries`, {
      field: 'treeSize',
    });
  }
}

/**
 * MTH(D[0:treeSize]).
 * @throws InvalidArgumentError when treeSize is not a non-negative integer or exceeds the source
 */
export async function treeRoot(
  hasher: MerkleHasher,
  source: LeafSource,
  treeSize: number,
): Promise<Uint8Array> {
  checkIndex('tree size', treeSize);
  await checkSize(source, treeSize);
  if (treeSize === 0) return hasher.emptyRoot();
  const [root] = await resolve(hasher, source, [rangeNodes(0, treeSize)]);
  return root as Uint8Array;
}

/**
 * The inclusion proof of leaf `leafIndex` in the tree of the first `treeSize` leaves.
 * @throws InvalidArgumentError when leafIndex ≥ treeSize or treeSize exceeds the source
 */
export async function inclusionProof(
  hasher: MerkleHasher,
  source: LeafSource,
  leafIndex: number,
  treeSize: number,
): Promise<InclusionProof> {
  checkIndex('leaf index', leafIndex);
  checkIndex('tree size', treeSize);
  if (leafIndex >= treeSize) {
    throw new InvalidArgumentError(
      `leaf index ${leafIndex} is not in a tree of ${treeSize} leaves`,
      { field: 'leafIndex' },
    );
  }
  await checkSize(source, treeSize);
  const hashes = await resolve(hasher, source, inclusionPlan(leafIndex, treeSize));
  return { leafIndex, treeSize, hashes };
}

/**
 * The consistency proof from the tree of `fromSize` leaves to the tree of `toSize` leaves. It is
 * empty when fromSize is 0 or equals toSize (those trees are consistent by definition).
 * @throws InvalidArgumentError when fromSize > toSize or toSize exceeds the source
 */
export async function consistencyProof(
  hasher: MerkleHasher,
  source: LeafSource,
  fromSize: number,
  toSize: number,
): Promise<ConsistencyProof> {
  checkIndex('from size', fromSize);
  checkIndex('to size', toSize);
  if (fromSize > toSize) {
    throw new InvalidArgumentError(`from size ${fromSize} is larger than to size ${toSize}`, {
      field: 'fromSize',
    });
  }
  await checkSize(source, toSize);
  if (fromSize === 0 || fromSize === toSize) return { fromSize, toSize, hashes: [] };
  const hashes = await resolve(hasher, source, consistencyPlan(fromSize, toSize));
  return { fromSize, toSize, hashes };
}
