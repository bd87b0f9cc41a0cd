/**
 * The crypto-only ceiling of the envelope processor: verifies the composite signature (ML-DSA-65
 * + Ed25519) of every envelope in a file, `concurrency` at a time, with the same provider and the
 * same CPU affinity as the service under test. Prints one JSON line: {"verifiesPerSec": …}.
 * Run by throughput-bench.ts; not meant to be called by hand.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fromBinary } from '@bufbuild/protobuf';
import {
  compositePublicKey,
  defaultProvider,
  fromHex,
  verifyComposite,
  WorkerVerifyPool,
} from '@proof-messenger/crypto';
import { EnvelopeSchema } from '@proof-messenger/proto';
import { envelopeSignedBytes, SIGNATURE_CONTEXT } from '@proof-messenger/protocol';

const [file, concurrencyArg] = process.argv.slice(2);
if (file === undefined) throw new Error('usage: verify-ceiling.ts <envelopes.json> <concurrency>');
const concurrency = Number(concurrencyArg ?? '32');
// Same verification path as the service: worker threads for native crypto (PM_VERIFY_WORKERS).
const base = defaultProvider();
const workers = Number(process.env.PM_VERIFY_WORKERS ?? availableParallelism());
const pool = base.name === 'native' && workers > 0 ? new WorkerVerifyPool(workers) : undefined;
const provider = pool?.wrap(base) ?? base;
const input = JSON.parse(readFileSync(file, 'utf8')) as {
  keys: Record<string, { mlDsa65: string; ed25519: string }>;
  envelopes: Array<{ sender: string; bytes: string }>;
};
const keys = new Map(
  Object.entries(input.keys).map(([id, key]) => [
    id,
    compositePublicKey(provider, fromHex(key.mlDsa65), fromHex(key.ed25519)),
  ]),
);
const work = input.envelopes.map(({ sender, bytes }) => ({
  key: keys.get(sender),
  envelope: fromBinary(EnvelopeSchema, fromHex(bytes)),
}));

let next = 0;
let failures = 0;
const start = performance.now();
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (next < work.length) {
      const item = work[next++];
      if (item?.key === undefined || item.envelope.signature === undefined) continue;
      const ok = await verifyComposite(
        provider,
        item.key,
        envelopeSignedBytes(item.envelope.header, item.envelope.payload),
        item.envelope.signature,
        SIGNATURE_CONTEXT,
      );
      if (!ok) failures++;
    }
  }),
);
const seconds = (performance.now() - start) / 1000;
console.log(
  JSON.stringify({ verifiesPerSec: work.length / seconds, failures, provider: provider.name }),
);
