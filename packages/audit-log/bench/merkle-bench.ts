/**
 * Merkle benchmark: build a tree of N leaves (default 1,000,000) in memory, then time inclusion and
 * consistency proof generation and RFC 9162 verification at that size.
 *
 * Usage: pnpm bench:audit [--leaves 1000000] [--proofs 2000] [--provider native|noble]
 * Prints a table, then one JSON line (`{"bench":"audit-merkle",...}`) for machines.
 *
 * Leaves are synthetic (the leaf hash of an 8-byte counter), so this measures the tree, not entry
 * encoding; times are per proof, one at a time, p50 / p99 over --proofs random choices.
 */
import { parseArgs } from 'node:util';
import { type CryptoProvider, defaultProvider, getProvider } from '@proof-messenger/crypto';
import {
  consistencyProof,
  inclusionProof,
  MemoryMerkleTree,
  MerkleHasher,
  verifyConsistencyProof,
  verifyInclusionProof,
} from '../src/index.ts';

const { values } = parseArgs({
  options: {
    leaves: { type: 'string', default: '1000000' },
    proofs: { type: 'string', default: '2000' },
    provider: { type: 'string' },
  },
});
const leaves = Number(values.leaves);
const proofs = Number(values.proofs);
const provider: CryptoProvider =
  values.provider === 'native' || values.provider === 'noble'
    ? getProvider(values.provider)
    : defaultProvider();

// A small deterministic generator so runs pick the same indices.
let state = 0x2545f491;
function random(below: number): number {
  state ^= state << 13;
  state ^= state >>> 17;
  state ^= state << 5;
  return (state >>> 0) % below;
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] as number;
}

function summary(samplesMs: number[]): { p50Us: number; p99Us: number } {
  const sorted = [...samplesMs].sort((a, b) => a - b);
  const us = (ms: number) => Math.round(ms * 1000 * 10) / 10;
  return { p50Us: us(percentile(sorted, 50)), p99Us: us(percentile(sorted, 99)) };
}

const hasher = new MerkleHasher(provider);
const tree = new MemoryMerkleTree(hasher);
const counter = new Uint8Array(8);
const view = new DataView(counter.buffer);
const buildStart = performance.now();
for (let i = 0; i < leaves; i++) {
  view.setBigUint64(0, BigInt(i));
  tree.append(hasher.hashLeaf(counter));
}
const buildMs = performance.now() - buildStart;
const root = tree.rootHash();

const inclusionGen: number[] = [];
const inclusionVerify: number[] = [];
const consistencyGen: number[] = [];
const consistencyVerify: number[] = [];
let pathLength = 0;
for (let i = 0; i < proofs; i++) {
  const index = random(leaves);
  let t = performance.now();
  const proof = await inclusionProof(hasher, tree, index, leaves);
  inclusionGen.push(performance.now() - t);
  pathLength = proof.hashes.length;
  const leaf = tree.leafHash(index);
  t = performance.now();
  const ok = verifyInclusionProof(hasher, index, leaves, leaf, proof.hashes, root);
  inclusionVerify.push(performance.now() - t);
  if (!ok) throw new Error(`inclusion proof of ${index} failed`);

  const from = 1 + random(leaves - 1);
  t = performance.now();
  const consistency = await consistencyProof(hasher, tree, from, leaves);
  consistencyGen.push(performance.now() - t);
  const oldRoot = tree.rootHash(from);
  t = performance.now();
  const consistent = verifyConsistencyProof(
    hasher,
    from,
    leaves,
    oldRoot,
    root,
    consistency.hashes,
  );
  consistencyVerify.push(performance.now() - t);
  if (!consistent) throw new Error(`consistency proof ${from} → ${leaves} failed`);
}

const result = {
  bench: 'audit-merkle',
  provider: provider.name,
  leaves,
  proofs,
  buildSeconds: Math.round(buildMs) / 1000,
  appendsPerSec: Math.round(leaves / (buildMs / 1000)),
  inclusionPathLength: pathLength,
  inclusionGenerate: summary(inclusionGen),
  inclusionVerify: summary(inclusionVerify),
  consistencyGenerate: summary(consistencyGen),
  consistencyVerify: summary(consistencyVerify),
  rssMiB: Math.round(process.memoryUsage().rss / 2 ** 20),
};

console.log(`Merkle tree of ${leaves} leaves (${provider.name} provider), ${proofs} proofs each`);
console.log(
  `  build (leaf hash + append)  ${result.buildSeconds} s  (${result.appendsPerSec} appends/s)`,
);
for (const [name, s] of [
  ['inclusion generate', result.inclusionGenerate],
  ['inclusion verify', result.inclusionVerify],
  ['consistency generate', result.consistencyGenerate],
  ['consistency verify', result.consistencyVerify],
] as const) {
  console.log(`  ${name.padEnd(26)} p50 ${s.p50Us} µs   p99 ${s.p99Us} µs`);
}
console.log(`  RSS ${result.rssMiB} MiB`);
console.log(JSON.stringify(result));
