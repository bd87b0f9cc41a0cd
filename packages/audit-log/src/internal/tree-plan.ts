/**
 * Which stored nodes a root or a proof needs, as pure index arithmetic, so a store can fetch them
 * all at once (one query) and only the right edge of the tree is ever hashed on the fly.
 *
 * A node {level, index} is the perfect subtree over leaves [index·2^level, (index+1)·2^level). Every
 * subtree RFC 6962's recursion visits is [lo, hi) with lo a multiple of the largest power of two
 * ≤ hi − lo, so it splits into perfect nodes of decreasing size ("rangeNodes"); its MTH is those
 * nodes folded from the right ("foldRange"). A proof is a list of such ranges.
 */
import type { MerkleHasher } from '../merkle-hasher.ts';

/** A perfect subtree: leaves [index·2^level, (index+1)·2^level). */
export interface NodeCoordinate {
  readonly level: number;
  readonly index: number;
}

/** The largest power of two ≤ n (n ≥ 1). Loops instead of Math.log2, exact up to 2^53. */
export function largestPowerOfTwoAtMost(n: number): number {
  let p = 1;
  while (p * 2 <= n) p *= 2;
  return p;
}

/** The largest power of two < n (n ≥ 2): RFC 6962's split point k. */
export function splitPoint(n: number): number {
  return largestPowerOfTwoAtMost(n - 1);
}

function levelOf(power: number): number {
  let level = 0;
  for (let p = power; p > 1; p /= 2) level++;
  return level;
}

/** The perfect nodes covering [lo, hi), largest first. */
export function rangeNodes(lo: number, hi: number): NodeCoordinate[] {
  const out: NodeCoordinate[] = [];
  let start = lo;
  while (start < hi) {
    const size = largestPowerOfTwoAtMost(hi - start);
    if (start % size !== 0) throw new Error(`range [${lo}, ${hi}) is not a subtree range`);
    out.push({ level: levelOf(size), index: start / size });
    start += size;
  }
  return out;
}

/** MTH of a range from the hashes of its rangeNodes (in the same order). */
export function foldRange(hasher: MerkleHasher, hashes: readonly Uint8Array[]): Uint8Array {
  let acc = hashes[hashes.length - 1];
  if (acc === undefined) throw new Error('an empty range has no subtree hash');
  for (let i = hashes.length - 2; i >= 0; i--)
    acc = hasher.hashChildren(hashes[i] as Uint8Array, acc);
  return acc;
}

/** RFC 9162 §2.1.3.1 PATH(m, D[n]): the ranges whose hashes form the audit path, leaf upward. */
export function inclusionPlan(leafIndex: number, treeSize: number): NodeCoordinate[][] {
  const out: NodeCoordinate[][] = [];
  const path = (lo: number, hi: number): void => {
    if (hi - lo === 1) return;
    const k = splitPoint(hi - lo);
    if (leafIndex < lo + k) {
      path(lo, lo + k);
      out.push(rangeNodes(lo + k, hi));
    } else {
      path(lo + k, hi);
      out.push(rangeNodes(lo, lo + k));
    }
  };
  path(0, treeSize);
  return out;
}

/** RFC 9162 §2.1.4.1 PROOF(m, D[n]) = SUBPROOF(m, D[n], true), for 0 < m < n. */
export function consistencyPlan(oldSize: number, newSize: number): NodeCoordinate[][] {
  const out: NodeCoordinate[][] = [];
  const subproof = (lo: number, hi: number, complete: boolean): void => {
    if (oldSize === hi) {
      if (!complete) out.push(rangeNodes(lo, hi));
      return;
    }
    const k = splitPoint(hi - lo);
    if (oldSize - lo <= k) {
      subproof(lo, lo + k, complete);
      out.push(rangeNodes(lo + k, hi));
    } else {
      subproof(lo + k, hi, false);
      out.push(rangeNodes(lo, lo + k));
    }
  };
  subproof(0, newSize, true);
  return out;
}
