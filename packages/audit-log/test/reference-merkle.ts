/**
 * A second opinion: RFC 9162 §2.1 MTH, PATH and PROOF written as literally as the RFC states them,
 * recursing over the leaf data with node:crypto SHA-256 (O(n) per call; for tests only). It shares
 * no code with src/.
 */
import { createHash } from 'node:crypto';

const sha256 = (...parts: Uint8Array[]): Uint8Array => {
  const h = createHash('sha256');
  for (const part of parts) h.update(part);
  return new Uint8Array(h.digest());
};

function k(n: number): number {
  let p = 1;
  while (p * 2 < n) p *= 2;
  return p;
}

/** MTH(D[n]). */
export function refMth(d: readonly Uint8Array[]): Uint8Array {
  if (d.length === 0) return sha256();
  if (d.length === 1) return sha256(Uint8Array.of(0), d[0] as Uint8Array);
  const split = k(d.length);
  return sha256(Uint8Array.of(1), refMth(d.slice(0, split)), refMth(d.slice(split)));
}

/** PATH(m, D[n]). */
export function refPath(m: number, d: readonly Uint8Array[]): Uint8Array[] {
  if (d.length <= 1) return [];
  const split = k(d.length);
  if (m < split) return [...refPath(m, d.slice(0, split)), refMth(d.slice(split))];
  return [...refPath(m - split, d.slice(split)), refMth(d.slice(0, split))];
}

function subproof(m: number, d: readonly Uint8Array[], b: boolean): Uint8Array[] {
  const n = d.length;
  if (m === n) return b ? [] : [refMth(d)];
  const split = k(n);
  if (m <= split) return [...subproof(m, d.slice(0, split), b), refMth(d.slice(split))];
  return [...subproof(m - split, d.slice(split), false), refMth(d.slice(0, split))];
}

/** PROOF(m, D[n]) for 0 < m < n. */
export function refProof(m: number, d: readonly Uint8Array[]): Uint8Array[] {
  return subproof(m, d, true);
}
