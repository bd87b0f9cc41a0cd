/**
 * Properties of proofs over random tree sizes: every generated proof verifies, and flipping any
 * single bit of a proof hash, a root, the leaf hash, the leaf index or the first size makes
 * verification fail. The raw RFC 9162 inclusion check does NOT bind the tree size on its own
 * (see the last test): the size is bound by the signed checkpoint, which verifyInclusion uses.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  consistencyProof,
  inclusionProof,
  MemoryMerkleTree,
  MerkleHasher,
  verifyConsistencyProof,
  verifyInclusionProof,
} from '../src/index.ts';
import { providers } from './fixtures.ts';
import { refMth } from './reference-merkle.ts';

const MAX = 3000;

function flip(bytes: Uint8Array, bit: number): Uint8Array {
  const out = Uint8Array.from(bytes);
  out[(bit >> 3) % out.length] = (out[(bit >> 3) % out.length] as number) ^ (1 << (bit & 7));
  return out;
}

describe.each(providers)('Merkle proof properties ($name provider)', (provider) => {
  const hasher = new MerkleHasher(provider);
  const tree = new MemoryMerkleTree(hasher);
  const data = Array.from({ length: MAX }, (_, i) => Uint8Array.of(i & 255, i >> 8, 7));
  for (const d of data) tree.append(hasher.hashLeaf(d));

  it('computes the same roots as the reference recursion', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 600 }), (n) => {
        expect(tree.rootHash(n)).toEqual(refMth(data.slice(0, n)));
      }),
      { numRuns: 40 },
    );
  });

  it('inclusion: every proof verifies; any single-bit change in proof, root, leaf or index fails', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: MAX }).chain((n) => fc.tuple(fc.constant(n), fc.nat(n - 1))),
        fc.nat(),
        fc.nat(255),
        async ([n, m], pick, bit) => {
          const proof = await inclusionProof(hasher, tree, m, n);
          const root = tree.rootHash(n);
          const leaf = tree.leafHash(m);
          expect(verifyInclusionProof(hasher, m, n, leaf, proof.hashes, root)).toBe(true);
          expect(verifyInclusionProof(hasher, m, n, flip(leaf, bit), proof.hashes, root)).toBe(
            false,
          );
          expect(verifyInclusionProof(hasher, m, n, leaf, proof.hashes, flip(root, bit))).toBe(
            false,
          );
          if (proof.hashes.length > 0) {
            const i = pick % proof.hashes.length;
            const bad = proof.hashes.map((h, j) => (j === i ? flip(h, bit) : h));
            expect(verifyInclusionProof(hasher, m, n, leaf, bad, root)).toBe(false);
            expect(verifyInclusionProof(hasher, m, n, leaf, proof.hashes.slice(1), root)).toBe(
              false,
            );
            expect(verifyInclusionProof(hasher, m, n, leaf, [...proof.hashes, root], root)).toBe(
              false,
            );
          }
          const indexBit = 2 ** (pick % 12);
          const otherIndex = m ^ indexBit;
          expect(verifyInclusionProof(hasher, otherIndex, n, leaf, proof.hashes, root)).toBe(false);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('consistency: every proof verifies; any single-bit change in proof, a root or the first size fails', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc
          .integer({ min: 2, max: MAX })
          .chain((n) => fc.tuple(fc.integer({ min: 1, max: n - 1 }), fc.constant(n))),
        fc.nat(),
        fc.nat(255),
        async ([m, n], pick, bit) => {
          const proof = await consistencyProof(hasher, tree, m, n);
          const first = tree.rootHash(m);
          const second = tree.rootHash(n);
          expect(verifyConsistencyProof(hasher, m, n, first, second, proof.hashes)).toBe(true);
          expect(verifyConsistencyProof(hasher, m, n, flip(first, bit), second, proof.hashes)).toBe(
            false,
          );
          expect(verifyConsistencyProof(hasher, m, n, first, flip(second, bit), proof.hashes)).toBe(
            false,
          );
          const i = pick % proof.hashes.length;
          const bad = proof.hashes.map((h, j) => (j === i ? flip(h, bit) : h));
          expect(verifyConsistencyProof(hasher, m, n, first, second, bad)).toBe(false);
          expect(
            verifyConsistencyProof(hasher, m, n, first, second, proof.hashes.slice(0, -1)),
          ).toBe(false);
          const otherM = m ^ (2 ** (pick % 12));
          expect(verifyConsistencyProof(hasher, otherM, n, first, second, proof.hashes)).toBe(
            false,
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  it('shows why the size must come from a signed checkpoint: RFC 9162 inclusion alone accepts leaf 0 of size 5 as leaf 0 of size 7', async () => {
    const proof = await inclusionProof(hasher, tree, 0, 5);
    const root5 = tree.rootHash(5);
    expect(verifyInclusionProof(hasher, 0, 5, tree.leafHash(0), proof.hashes, root5)).toBe(true);
    expect(verifyInclusionProof(hasher, 0, 7, tree.leafHash(0), proof.hashes, root5)).toBe(true);
    expect(
      verifyInclusionProof(hasher, 0, 7, tree.leafHash(0), proof.hashes, tree.rootHash(7)),
    ).toBe(false);
  });
});
