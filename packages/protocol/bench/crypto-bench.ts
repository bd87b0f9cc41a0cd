/**
 * Crypto benchmark: operations per second of every primitive and of the whole envelope paths
 * (seal / open, sign / verify of a 1 KiB envelope), per provider, on this machine.
 *
 * Usage: pnpm bench:crypto [--ms 500] [--provider native|noble]
 * Prints a table per provider, then one JSON line (`{"bench":"crypto",...}`) for machines.
 *
 * Each operation runs back to back for a fixed time (one at a time: latency-bound), and the
 * asynchronous verify paths also run with 32 in flight (throughput across the libuv thread pool).
 * The raw primitive rates are the ceiling the envelope rates are compared against.
 */
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import {
  CompositeSigner,
  type CryptoProvider,
  getProvider,
  isNativeCryptoAvailable,
  KemKeyPair,
  kemEncapsulate,
  Suite,
  verifyComposite,
} from '@proof-messenger/crypto';
import { openEnvelope, SIGNATURE_CONTEXT, sealEnvelope, verifyEnvelope } from '../src/index.ts';

const { values } = parseArgs({
  options: { ms: { type: 'string', default: '500' }, provider: { type: 'string' } },
});
const durationMs = Number(values.ms);

interface Result {
  op: string;
  opsPerSec: number;
  usPerOp: number;
  concurrency: number;
}

async function measure(op: string, fn: () => unknown, concurrency = 1): Promise<Result> {
  for (let i = 0; i < 3; i++) await fn(); // warm up (JIT, key caches)
  let count = 0;
  const start = performance.now();
  const deadline = start + durationMs;
  const worker = async () => {
    while (performance.now() < deadline) {
      await fn();
      count++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsed = (performance.now() - start) / 1000;
  const opsPerSec = count / elapsed;
  return { op, opsPerSec, usPerOp: 1e6 / opsPerSec, concurrency };
}

async function benchProvider(provider: CryptoProvider): Promise<Result[]> {
  const kib = provider.randomBytes(1024);
  const aad = provider.randomBytes(64);
  const key = provider.randomBytes(32);
  const nonce = provider.randomBytes(12);
  const ed = provider.ed25519FromSeed(provider.randomBytes(32));
  const edSig = await provider.ed25519Sign(ed.privateKey, kib);
  const mlDsa = provider.mlDsa65FromSeed(provider.randomBytes(32));
  const ctx = new Uint8Array(0);
  const mlDsaSig = await provider.mlDsa65Sign(mlDsa.privateKey, kib, ctx);
  const signer = CompositeSigner.generate(provider).signer;
  const compositeSig = await signer.sign(kib, SIGNATURE_CONTEXT);
  const mlKem = KemKeyPair.generate(
    provider,
    Suite.MLKEM768_HKDFSHA256_AES256GCM_MLDSA65ED25519,
  ).keyPair;
  const xWing = KemKeyPair.generate(
    provider,
    Suite.XWING_HKDFSHA256_AES256GCM_MLDSA65ED25519,
  ).keyPair;
  const mlKemCt = (await kemEncapsulate(provider, mlKem.suite, mlKem.publicKey)).ciphertext;
  const xWingCt = (await kemEncapsulate(provider, xWing.suite, xWing.publicKey)).ciphertext;
  const sealed = provider.aes256GcmEncrypt(key, nonce, kib, aad);
  const fields = { senderId: 'agent-a', recipientId: 'agent-b' };
  const envelope = await sealEnvelope(provider, signer, fields, [xWing], kib);
  const parallel = Math.max(32, cpus().length * 8);

  const results: Result[] = [];
  const run = async (op: string, fn: () => unknown, concurrency = 1) => {
    const result = await measure(op, fn, concurrency);
    results.push(result);
    console.log(
      `${provider.name.padEnd(7)} ${op.padEnd(34)} ${result.opsPerSec.toFixed(0).padStart(9)} ops/s ${result.usPerOp.toFixed(1).padStart(9)} µs/op  (x${concurrency})`,
    );
  };
  await run('sha256 1KiB', () => provider.sha256(kib));
  await run('aes-256-gcm seal 1KiB', () => provider.aes256GcmEncrypt(key, nonce, kib, aad));
  await run('aes-256-gcm open 1KiB', () => provider.aes256GcmDecrypt(key, nonce, sealed, aad));
  await run('ed25519 sign', () => provider.ed25519Sign(ed.privateKey, kib));
  await run('ed25519 verify', () => provider.ed25519Verify(ed.publicKey, kib, edSig));
  await run('ml-dsa-65 sign', () => provider.mlDsa65Sign(mlDsa.privateKey, kib, ctx));
  await run('ml-dsa-65 verify', () => provider.mlDsa65Verify(mlDsa.publicKey, kib, mlDsaSig, ctx));
  await run('ml-kem-768 encapsulate', () => provider.mlKem768Encapsulate(mlKem.publicKey));
  await run('ml-kem-768 decapsulate', () => mlKem.decapsulate(mlKemCt));
  await run('x-wing encapsulate', () => kemEncapsulate(provider, xWing.suite, xWing.publicKey));
  await run('x-wing decapsulate', () => xWing.decapsulate(xWingCt));
  await run('composite sign', () => signer.sign(kib, SIGNATURE_CONTEXT));
  await run('composite verify', () =>
    verifyComposite(provider, signer.publicKey, kib, compositeSig, SIGNATURE_CONTEXT),
  );
  await run(
    'composite verify',
    () => verifyComposite(provider, signer.publicKey, kib, compositeSig, SIGNATURE_CONTEXT),
    parallel,
  );
  await run('envelope seal+sign 1KiB (x-wing)', () =>
    sealEnvelope(provider, signer, fields, [xWing], kib),
  );
  await run('envelope verify 1KiB (server)', () =>
    verifyEnvelope(provider, envelope, signer.publicKey),
  );
  await run(
    'envelope verify 1KiB (server)',
    () => verifyEnvelope(provider, envelope, signer.publicKey),
    parallel,
  );
  await run('envelope verify+open 1KiB', () =>
    openEnvelope(provider, envelope, signer.publicKey, [xWing]),
  );
  return results;
}

const names =
  values.provider === undefined
    ? isNativeCryptoAvailable()
      ? (['native', 'noble'] as const)
      : (['noble'] as const)
    : [values.provider as 'native' | 'noble'];

console.log(
  `node ${process.version}, OpenSSL ${process.versions.openssl}, ${cpus().length} cores, ${durationMs} ms per op`,
);
const all: Record<string, Result[]> = {};
for (const name of names) all[name] = await benchProvider(getProvider(name));

function rate(provider: string, op: string, concurrency = 1): number {
  return (
    all[provider]?.find((r) => r.op === op && r.concurrency === concurrency)?.opsPerSec ??
    Number.NaN
  );
}

const summary: Record<string, unknown> = {
  bench: 'crypto',
  node: process.version,
  cores: cpus().length,
};
for (const name of names) {
  // The envelope verify path against its ceiling: the raw composite verification it wraps.
  const ceiling = rate(name, 'composite verify');
  const envelopeVerify = rate(name, 'envelope verify 1KiB (server)');
  summary[name] = {
    ...Object.fromEntries(
      (all[name] ?? []).map((r) => [
        `${r.op}${r.concurrency > 1 ? ` x${r.concurrency}` : ''}`,
        Math.round(r.opsPerSec),
      ]),
    ),
    envelope_verify_vs_composite_verify: Number((envelopeVerify / ceiling).toFixed(3)),
  };
}
if (names.length === 2) {
  summary.native_vs_noble_composite_verify = Number(
    (rate('native', 'composite verify') / rate('noble', 'composite verify')).toFixed(1),
  );
}
console.log(JSON.stringify(summary));
