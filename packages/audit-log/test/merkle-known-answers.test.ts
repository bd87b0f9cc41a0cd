/**
 * RFC 6962 known answers. The leaf inputs, node hashes, roots and proofs are the reference vectors
 * of the certificate-transparency project as kept in github.com/transparency-dev/merkle
 * (testonly/constants.go: LeafInputs, NodeHashes, RootHashes; proof/verify_test.go:
 * inclusionProofs, consistencyProofs), copied by hand. Every (m, n) pair up to 8 is also checked
 * against test/reference-merkle.ts, a literal RFC 9162 recursion that shares no code with src/.
 */
import { describe, expect, it } from 'vitest';
import {
  consistencyProof,
  inclusionProof,
  MemoryMerkleTree,
  MerkleHasher,
  treeRoot,
  verifyConsistencyProof,
  verifyInclusionProof,
} from '../src/index.ts';
import { hex, providers, toHexString } from './fixtures.ts';
import { refMth, refPath, refProof } from './reference-merkle.ts';

const LEAF_INPUTS = [
  '',
  '00',
  '10',
  '2021',
  '3031',
  '40414243',
  '5051525354555657',
  '606162636465666768696a6b6c6d6e6f',
].map(hex);

const EMPTY_ROOT = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/** RootHashes()[1..8]: roots of the trees of the first 1..8 leaf inputs. */
const ROOTS = [
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];

/** NodeHashes(): [level][index] of the tree of all 8 leaves. */
const NODES = [
  [
    '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
    '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
    '0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7',
    '07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7',
    'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    '4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658',
    'b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f',
    '46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1',
  ],
  [
    'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
    '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
    '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
    'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
  ],
  [
    'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
  ],
  ['5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328'],
];

/** inclusionProofs (leaf index 0-based here; the Go table is 1-based). */
const INCLUSION = [
  { leafIndex: 0, treeSize: 8, path: [NODES[0]?.[1], NODES[1]?.[1], NODES[2]?.[1]] },
  { leafIndex: 5, treeSize: 8, path: [NODES[0]?.[4], NODES[1]?.[3], NODES[2]?.[0]] },
  { leafIndex: 2, treeSize: 3, path: [NODES[1]?.[0]] },
  { leafIndex: 1, treeSize: 5, path: [NODES[0]?.[0], NODES[1]?.[1], NODES[0]?.[4]] },
] as const;

/** consistencyProofs. */
const CONSISTENCY = [
  { m: 1, n: 8, path: [NODES[0]?.[1], NODES[1]?.[1], NODES[2]?.[1]] },
  { m: 6, n: 8, path: [NODES[1]?.[2], NODES[1]?.[3], NODES[2]?.[0]] },
  { m: 2, n: 5, path: [NODES[1]?.[1], NODES[0]?.[4]] },
  { m: 6, n: 7, path: [NODES[1]?.[2], NODES[0]?.[6], NODES[2]?.[0]] },
] as const;

describe.each(providers)('RFC 6962 known answers ($name provider)', (provider) => {
  const hasher = new MerkleHasher(provider);
  const tree = new MemoryMerkleTree(hasher);
  for (const input of LEAF_INPUTS) tree.append(hasher.hashLeaf(input));

  it('hashes the empty tree to SHA-256("")', async () => {
    expect(toHexString(hasher.emptyRoot())).toBe(EMPTY_ROOT);
    expect(toHexString(await treeRoot(hasher, tree, 0))).toBe(EMPTY_ROOT);
    expect(toHexString(tree.rootHash(0))).toBe(EMPTY_ROOT);
  });

  it('gives the known root for every size 1..8, and the reference recursion agrees', async () => {
    for (let n = 1; n <= 8; n++) {
      expect(toHexString(tree.rootHash(n))).toBe(ROOTS[n - 1]);
      expect(toHexString(await treeRoot(hasher, tree, n))).toBe(ROOTS[n - 1]);
      expect(toHexString(refMth(LEAF_INPUTS.slice(0, n)))).toBe(ROOTS[n - 1]);
    }
  });

  it('stores the known node hash of every complete subtree', () => {
    for (const [level, row] of NODES.entries()) {
      for (const [index, expected] of row.entries()) {
        expect(toHexString(tree.nodeHash(level, index))).toBe(expected);
      }
    }
  });

  it('generates and verifies the known inclusion proofs', async () => {
    for (const { leafIndex, treeSize, path } of INCLUSION) {
      const proof = await inclusionProof(hasher, tree, leafIndex, treeSize);
      expect(proof.hashes.map(toHexString)).toEqual(path);
      const leaf = hasher.hashLeaf(LEAF_INPUTS[leafIndex] as Uint8Array);
      const root = hex(ROOTS[treeSize - 1] as string);
      expect(verifyInclusionProof(hasher, leafIndex, treeSize, leaf, proof.hashes, root)).toBe(
        true,
      );
    }
  });

  it('generates and verifies the known consistency proofs', async () => {
    for (const { m, n, path } of CONSISTENCY) {
      const proof = await consistencyProof(hasher, tree, m, n);
      expect(proof.hashes.map(toHexString)).toEqual(path);
      const first = hex(ROOTS[m - 1] as string);
      const second = hex(ROOTS[n - 1] as string);
      expect(verifyConsistencyProof(hasher, m, n, first, second, proof.hashes)).toBe(true);
    }
  });

  it('matches the reference PATH for every leaf of every size up to 8, and verifies', async () => {
    for (let n = 1; n <= 8; n++) {
      const root = tree.rootHash(n);
      for (let m = 0; m < n; m++) {
        const proof = await inclusionProof(hasher, tree, m, n);
        const expected = refPath(m, LEAF_INPUTS.slice(0, n)).map(toHexString);
        expect(proof.hashes.map(toHexString)).toEqual(expected);
        expect(verifyInclusionProof(hasher, m, n, tree.leafHash(m), proof.hashes, root)).toBe(true);
      }
    }
  });

  it('matches the reference PROOF for every 0 < m < n ≤ 8, and verifies', async () => {
    for (let n = 1; n <= 8; n++) {
      for (let m = 1; m < n; m++) {
        const proof = await consistencyProof(hasher, tree, m, n);
        const expected = refProof(m, LEAF_INPUTS.slice(0, n)).map(toHexString);
        expect(proof.hashes.map(toHexString)).toEqual(expected);
        expect(
          verifyConsistencyProof(hasher, m, n, tree.rootHash(m), tree.rootHash(n), proof.hashes),
        ).toBe(true);
      }
    }
  });

  it('gives empty consistency proofs for m = 0 and m = n, verified only with the right roots', async () => {
    const empty = hasher.emptyRoot();
    for (let n = 0; n <= 8; n++) {
      expect((await consistencyProof(hasher, tree, 0, n)).hashes).toEqual([]);
      expect((await consistencyProof(hasher, tree, n, n)).hashes).toEqual([]);
      expect(verifyConsistencyProof(hasher, 0, n, empty, tree.rootHash(n), [])).toBe(true);
      expect(verifyConsistencyProof(hasher, n, n, tree.rootHash(n), tree.rootHash(n), [])).toBe(
        true,
      );
    }
    const r3 = tree.rootHash(3);
    const r5 = tree.rootHash(5);
    expect(verifyConsistencyProof(hasher, 0, 5, r3, r5, [])).toBe(false);
    expect(verifyConsistencyProof(hasher, 5, 5, r3, r5, [])).toBe(false);
    expect(verifyConsistencyProof(hasher, 5, 5, r5, r5, [r5])).toBe(false);
    expect(verifyConsistencyProof(hasher, 3, 5, r3, r5, [])).toBe(false);
    expect(verifyConsistencyProof(hasher, 5, 3, r5, r3, [])).toBe(false);
  });

  it('refuses impossible inclusion claims', () => {
    const leaf = tree.leafHash(0);
    const root = tree.rootHash(1);
    expect(verifyInclusionProof(hasher, 0, 1, leaf, [], root)).toBe(true);
    expect(verifyInclusionProof(hasher, 0, 0, leaf, [], root)).toBe(false);
    expect(verifyInclusionProof(hasher, 1, 1, leaf, [], root)).toBe(false);
    expect(verifyInclusionProof(hasher, 0, 1, leaf, [root], root)).toBe(false);
    expect(verifyInclusionProof(hasher, 0, 1, new Uint8Array(31), [], root)).toBe(false);
    expect(verifyInclusionProof(hasher, -1, 1, leaf, [], root)).toBe(false);
    expect(verifyInclusionProof(hasher, 0.5, 1, leaf, [], root)).toBe(false);
  });
});
