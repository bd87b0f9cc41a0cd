/**
 * Verification of inclusion and consistency proofs, step for step as RFC 9162 §2.1.3.2 and
 * §2.1.4.2 write them (comments number the RFC's steps). Sizes are JavaScript numbers up to 2^53,
 * so shifts are written as halving (`>>` would truncate to 32 bits).
 *
 * The RFC's consistency algorithm covers 0 < first < second. The other cases are decided here:
 * first = second holds only with an empty proof and equal roots; first = 0 only with an empty proof
 * and the empty-tree hash as the first root; first > second never.
 *
 * These return false on any malformed input (wrong hash length, impossible index) and never throw:
 * a verifier treats every failure alike; the callers in verify-audit-log.ts say which check failed.
 */
import { equalBytes } from '@proof-messenger/crypto';
import { HASH_SIZE, type MerkleHasher } from './merkle-hasher.ts';

const lsb = (x: number): boolean => x % 2 === 1;
const half = (x: number): number => Math.floor(x / 2);

function isSize(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function allHashes(values: readonly unknown[]): values is readonly Uint8Array[] {
  return values.every((v) => v instanceof Uint8Array && v.length === HASH_SIZE);
}

/**
 * RFC 9162 §2.1.3.2: true when `inclusionPath` proves that the leaf with hash `leafHash` is leaf
 * `leafIndex` of the tree of `treeSize` leaves whose root is `rootHash`.
 */
export function verifyInclusionProof(
  hasher: MerkleHasher,
  leafIndex: number,
  treeSize: number,
  leafHash: Uint8Array,
  inclusionPath: readonly Uint8Array[],
  rootHash: Uint8Array,
): boolean {
  if (!isSize(leafIndex) || !isSize(treeSize) || !Array.isArray(inclusionPath)) return false;
  if (!allHashes([leafHash, rootHash]) || !allHashes(inclusionPath)) return false;
  // 1. leaf_index ≥ tree_size fails.
  if (leafIndex >= treeSize) return false;
  // 2. fn = leaf_index, sn = tree_size − 1.
  let fn = leafIndex;
  let sn = treeSize - 1;
  // 3. r = hash.
  let r = leafHash;
  // 4. For each p in inclusion_path:
  for (const p of inclusionPath) {
    if (sn === 0) return false;
    if (lsb(fn) || fn === sn) {
      r = hasher.hashChildren(p, r);
      if (!lsb(fn)) {
        while (!lsb(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      r = hasher.hashChildren(r, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  // 5. sn must be 0 and r must equal root_hash.
  return sn === 0 && equalBytes(r, rootHash);
}

function isPowerOfTwo(n: number): boolean {
  let x = n;
  while (x > 1 && x % 2 === 0) x /= 2;
  return x === 1;
}

/**
 * RFC 9162 §2.1.4.2: true when `consistencyPath` proves that the tree of `firstSize` leaves with
 * root `firstHash` is a prefix of the tree of `secondSize` leaves with root `secondHash`.
 */
export function verifyConsistencyProof(
  hasher: MerkleHasher,
  firstSize: number,
  secondSize: number,
  firstHash: Uint8Array,
  secondHash: Uint8Array,
  consistencyPath: readonly Uint8Array[],
): boolean {
  if (!isSize(firstSize) || !isSize(secondSize) || !Array.isArray(consistencyPath)) return false;
  if (!allHashes([firstHash, secondHash]) || !allHashes(consistencyPath)) return false;
  if (firstSize > secondSize) return false;
  if (firstSize === secondSize) {
    return consistencyPath.length === 0 && equalBytes(firstHash, secondHash);
  }
  if (firstSize === 0) {
    return consistencyPath.length === 0 && equalBytes(firstHash, hasher.emptyRoot());
  }
  // 1. An empty consistency_path fails.
  if (consistencyPath.length === 0) return false;
  // 2. If first is an exact power of 2, prepend first_hash.
  const path = isPowerOfTwo(firstSize) ? [firstHash, ...consistencyPath] : [...consistencyPath];
  // 3. fn = first − 1, sn = second − 1.
  let fn = firstSize - 1;
  let sn = secondSize - 1;
  // 4. If LSB(fn) is set, shift both right until it is not.
  while (lsb(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  // 5. fr = sr = the first value of the path.
  let fr = path[0] as Uint8Array;
  let sr = fr;
  // 6. For each subsequent value c:
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (lsb(fn) || fn === sn) {
      fr = hasher.hashChildren(c, fr);
      sr = hasher.hashChildren(c, sr);
      if (!lsb(fn)) {
        while (!lsb(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      sr = hasher.hashChildren(sr, c);
    }
    fn = half(fn);
    sn = half(sn);
  }
  // 7. fr = first_hash, sr = second_hash, sn = 0.
  return equalBytes(fr, firstHash) && equalBytes(sr, secondHash) && sn === 0;
}
