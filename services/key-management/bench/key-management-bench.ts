/**
 * Key-management benchmark: latency of registration, prekey bundle fetch and rotation (identity
 * key and session key), end to end through the SDK against a real service on loopback.
 *
 * Usage: pnpm bench:keys [--agents 40] [--fetches 400] [--concurrency 1] [--distributed]
 * Concurrency 1 measures one operation end to end; raise it to see latency under load (queueing).
 * `--distributed` runs on PostgreSQL + Redis (DATABASE_URL / REDIS_URL or the local defaults).
 * Prints percentiles per operation, then one JSON line. The ceiling to compare against is the
 * composite signature work each operation needs, measured in the same run.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { OperatorCredentials } from '@proof-messenger/auth';
import { AgentKeys, KeyManagementClient, MemoryKeyStore } from '@proof-messenger/client-sdk';
import { CompositeSigner, defaultProvider, utf8, verifyComposite } from '@proof-messenger/crypto';
import { RotationSchedule } from '@proof-messenger/proto';
import { silentLogger } from '@proof-messenger/rpc';
import { openPostgresDatabase } from '@proof-messenger/storage';
import { loadConfig } from '../src/config.ts';
import { createKeyManagementServer } from '../src/key-management-server.ts';

const { values } = parseArgs({
  options: {
    agents: { type: 'string', default: '40' },
    fetches: { type: 'string', default: '400' },
    concurrency: { type: 'string', default: '1' },
    distributed: { type: 'boolean', default: false },
  },
});
const agentCount = Number(values.agents);
const fetchCount = Number(values.fetches);
const concurrency = Number(values.concurrency);
const provider = defaultProvider();
const quiet = silentLogger;

function percentiles(samples: number[]): { p50: number; p99: number; mean: number; n: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) =>
    sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
  const mean = sorted.reduce((sum, x) => sum + x, 0) / sorted.length;
  const round = (x: number) => Number(x.toFixed(2));
  return { p50: round(at(0.5)), p99: round(at(0.99)), mean: round(mean), n: sorted.length };
}

async function timed<T>(samples: number[], work: () => Promise<T>): Promise<T> {
  const start = performance.now();
  const result = await work();
  samples.push(performance.now() - start);
  return result;
}

async function inParallel(count: number, work: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) await work(next++);
    }),
  );
}

const dataDir = mkdtempSync(join(tmpdir(), 'pm-km-bench-'));
const operator = OperatorCredentials.generate('bench');
const config = loadConfig({
  PM_GRPC_PORT: '0',
  PM_DATA_DIR: dataDir,
  PM_OPERATOR_CREDENTIALS: operator.entry,
  PM_AUTH_TOKEN_SECRET: randomBytes(32).toString('base64'),
  PM_ROTATION_SCHEDULER_INTERVAL_MS: '0',
  PM_OPEN_REGISTRATION: 'off',
  ...(values.distributed
    ? {
        DATABASE_URL: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
        PM_DATABASE_SCHEMA: `pm_bench_${Date.now()}`,
        REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
        PM_REDIS_KEY_PREFIX: `pmbench:${randomUUID()}:`,
      }
    : {}),
});
const server = await createKeyManagementServer(config, { provider, log: quiet });
const address = `127.0.0.1:${await server.start()}`;
const operatorClient = new KeyManagementClient(address, provider, {
  operatorCredential: operator.credential,
});
console.log(
  `key-management bench: ${values.distributed ? 'distributed (PostgreSQL + Redis)' : 'embedded (node:sqlite)'}, ${provider.name} crypto, node ${process.version}`,
);

// Ceiling: the signature work one registration needs (sign on the client, verify on the server).
const ceilingSigner = CompositeSigner.generate(provider).signer;
const ceiling: number[] = [];
for (let i = 0; i < 50; i++) {
  await timed(ceiling, async () => {
    const message = utf8(`ceiling ${i}`);
    await verifyComposite(
      provider,
      ceilingSigner.publicKey,
      message,
      await ceilingSigner.sign(message, utf8('c')),
      utf8('c'),
    );
  });
}

const register: number[] = [];
const agents: AgentKeys[] = [];
await inParallel(agentCount, async (i) => {
  const agentId = `bench-${i}`;
  const { credential } = await operatorClient.call('issueEnrollmentCredential', { agentId });
  const agent = await AgentKeys.open({
    address,
    agentId,
    keyStore: new MemoryKeyStore({ provider }),
    provider,
    prekeys: { lowWater: 5, target: 20 },
  });
  await timed(register, () => agent.register(credential));
  agents.push(agent);
});
await inParallel(agents.length, async (i) => {
  await agents[i]?.ensurePrekeys();
});

const fetch: number[] = [];
const fetcher = agents[0];
if (fetcher === undefined) throw new Error('no agents');
await inParallel(fetchCount, async (i) => {
  await timed(fetch, () =>
    fetcher.client.call('fetchPrekeyBundle', { agentId: `bench-${1 + (i % (agentCount - 1))}` }),
  );
});

const sessionRotation: number[] = [];
await inParallel(agents.length, async (i) => {
  const agent = agents[i];
  if (agent === undefined) return;
  for (let round = 0; round < 3; round++) {
    await timed(sessionRotation, () =>
      agent.rotateSessionKey(`peer-${round}`, RotationSchedule.DAILY),
    );
  }
});

const identityRotation: number[] = [];
await inParallel(agents.length, async (i) => {
  const agent = agents[i];
  if (agent !== undefined) await timed(identityRotation, () => agent.rotateIdentityKey());
});

const results = {
  composite_sign_verify_ms: percentiles(ceiling),
  register_ms: percentiles(register),
  prekey_bundle_fetch_ms: percentiles(fetch),
  session_key_rotation_ms: percentiles(sessionRotation),
  identity_key_rotation_ms: percentiles(identityRotation),
};
for (const [name, stats] of Object.entries(results)) {
  console.log(
    `${name.padEnd(28)} p50 ${String(stats.p50).padStart(8)}  p99 ${String(stats.p99).padStart(8)}  mean ${String(stats.mean).padStart(8)}  (n=${stats.n})`,
  );
}
const rotationP99 = Math.max(
  results.session_key_rotation_ms.p99,
  results.identity_key_rotation_ms.p99,
);
console.log(
  `rotation p99 ${rotationP99} ms against a 100 ms target: ${rotationP99 <= 100 ? 'met' : 'NOT met'}`,
);
console.log(
  JSON.stringify({
    bench: 'key-management',
    mode: values.distributed ? 'distributed' : 'embedded',
    provider: provider.name,
    concurrency,
    ...results,
    rotation_p99_target_ms: 100,
    register_p50_vs_sign_verify_p50: Number(
      (results.register_ms.p50 / results.composite_sign_verify_ms.p50).toFixed(2),
    ),
  }),
);

for (const agent of agents) agent.close();
operatorClient.close();
await server.destroy();
rmSync(dataDir, { recursive: true, force: true });
if (values.distributed && config.databaseUrl !== undefined) {
  const db = await openPostgresDatabase({ connectionString: config.databaseUrl });
  await db.execute(`DROP SCHEMA IF EXISTS ${config.databaseSchema} CASCADE`);
  await db.close();
}
