/**
 * Envelope-processor throughput benchmark. For each crypto provider and core count, the service
 * runs as its own process pinned to those cores (taskset), embedded mode, and receives
 * pre-sealed envelopes (1 KiB payloads by default) from a load generator in this process; next to it, in the same run,
 * on the same cores and provider, the crypto-only ceiling (composite ML-DSA-65 + Ed25519 verify of
 * the same envelopes) is measured. Reports throughput, ratio to the ceiling, send latency and the
 * service's peak RSS, then one JSON line.
 *
 * Usage: pnpm bench:ep [--messages 2000] [--noble-messages 200] [--concurrency 128] [--cores 1,2]
 *                      [--warmup 2000] [--noble-warmup 50]   (envelopes sent before measuring)
 *                      [--providers native,noble] [--verify-workers cores|N]   (0 = verify on the event loop)
 *                      [--batch 32] [--rounds 1] [--payload-bytes 1024|MIN-MAX]
 *                      [--mode embedded|distributed]
 *
 * `--mode distributed` runs the service on the machine's NATS JetStream, PostgreSQL and Redis (as in
 * production: the service is stateless, its storage is other processes) instead of its embedded
 * SQLite storage; the streams and schema it creates are deleted after each run.
 * `--payload-bytes MIN-MAX` spreads payload sizes over the range (real traffic does not come
 * in one size, and a size-keyed cache would look better than it is with one).
 * PM_BENCH_NODE_ARGS="--flag …" passes Node flags to the service process only (profilers,
 * heap options); PM_BENCH_CPU_PROF=dir is short for a CPU profile into dir; PM_BENCH_SERVICE_LOG=file
 * appends the service's stdout to file (for --trace-gc, --trace-deopt and the like).
 *
 * `--batch N` (default 32) sends N envelopes of one sender per SendMessages call, with
 * max(2, ⌈concurrency / N⌉) calls in flight (at least two, so the service never waits for the load
 * generator between batches); `--batch 1` sends one SendMessage per envelope with `concurrency`
 * calls in flight. Latencies are per call (each envelope of a batch gets its call's latency).
 * `--concurrency` (envelopes in flight, default 128: four calls of 32) is set to saturate the
 * service: with two calls of 32 in flight a 2-core service stayed partly idle (2,198 vs 2,503
 * envelopes/s with four calls, 2026-12-02), so throughput measured latency, not capacity.
 *
 * The ceiling is measured right before and right after each service run and the ratio uses the
 * mean: a shared VM drifts by tens of percent within a minute (seen: 1,620–3,000 verify/s on one
 * core between consecutive runs), and the spread printed next to it says how far. `--rounds N`
 * repeats each configuration N times and prints the median ratio and its range.
 *
 * Besides throughput it reports where the service's CPU went during the measured window, per
 * envelope, by thread kind (from /proc/<pid>/task/<tid>/stat: the main thread, the verification
 * worker threads, the SQLite checkpoint worker, libuv's thread pool, V8's helper threads): a
 * profile of the service process without a profiler's own overhead. Next to it, the read/write
 * family syscalls per envelope by the same thread kinds (/proc/<pid>/task/<tid>/io), because a
 * syscall is what costs most on the VMs this runs on.
 *
 * Caveat: on a 2-core machine the load generator shares the cores with the service in the 2-core
 * runs; the ratio then understates what the service does alone.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import {
  appendFileSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { OperatorCredentials } from '@proof-messenger/auth';
import { AgentKeys, MemoryKeyStore } from '@proof-messenger/client-sdk';
import { nativeProvider, toHex } from '@proof-messenger/crypto';
import {
  createKeyManagementServer,
  loadConfig as loadKmsConfig,
} from '@proof-messenger/key-management';
import {
  type Envelope,
  EnvelopeProcessorService,
  EnvelopeSchema,
  PrekeySchema,
  SendMessageRequestSchema,
  SendMessagesRequestSchema,
  SendMessagesResponseSchema,
} from '@proof-messenger/proto';
import { sealEnvelope } from '@proof-messenger/protocol';
import { deleteStreams, natsUrl } from '@proof-messenger/queue/testing';
import { silentLogger } from '@proof-messenger/rpc';
import { openPostgresDatabase } from '@proof-messenger/storage';
import { postgresUrl, redisUrl, uniqueSchemaName } from '@proof-messenger/storage/testing';
import { grpcFrame, LeanGrpcClient } from './lean-grpc-client.ts';

const { values } = parseArgs({
  options: {
    messages: { type: 'string', default: '2000' },
    'payload-bytes': { type: 'string', default: '1024' },
    'noble-messages': { type: 'string', default: '200' },
    warmup: { type: 'string', default: '2000' },
    'noble-warmup': { type: 'string', default: '50' },
    concurrency: { type: 'string', default: '128' },
    cores: { type: 'string', default: '1,2' },
    'verify-workers': { type: 'string', default: 'cores' },
    providers: { type: 'string', default: 'native,noble' },
    batch: { type: 'string', default: '32' },
    rounds: { type: 'string', default: '1' },
    mode: { type: 'string', default: 'embedded' },
  },
});
if (values.mode !== 'embedded' && values.mode !== 'distributed') {
  throw new Error('--mode is embedded or distributed');
}
const distributed = values.mode === 'distributed';
const providers = (values.providers ?? 'native,noble')
  .split(',')
  .filter((name): name is 'native' | 'noble' => name === 'native' || name === 'noble');
const concurrency = Number(values.concurrency);
const batchSize = Math.max(1, Math.min(256, Number(values.batch)));
const callsInFlight =
  batchSize === 1 ? concurrency : Math.max(2, Math.ceil(concurrency / batchSize));
const coreCounts = (values.cores ?? '1,2').split(',').map(Number);
const rounds = Math.max(1, Math.min(20, Number(values.rounds)));
const payloadRange = /^(\d+)(?:-(\d+))?$/.exec(values['payload-bytes']);
if (payloadRange === null) throw new Error('--payload-bytes is N or MIN-MAX (bytes)');
const payloadMin = Number(payloadRange[1]);
const payloadMax = Number(payloadRange[2] ?? payloadRange[1]);
if (payloadMax < payloadMin) throw new Error('--payload-bytes MIN-MAX needs MIN <= MAX');
/** The i-th envelope's payload size: spread over the range by a fixed stride (no RNG, same every run). */
const payloadBytes = (i: number) => payloadMin + ((i * 7919) % (payloadMax - payloadMin + 1));
const root = resolve(import.meta.dirname, '../../..');
const SEND_MESSAGE = `/${EnvelopeProcessorService.typeName}/SendMessage`;
const SEND_MESSAGES = `/${EnvelopeProcessorService.typeName}/SendMessages`;
const node = process.execPath;

const kmsDir = mkdtempSync(join(tmpdir(), 'pm-bench-kms-'));
const kms = await createKeyManagementServer(
  loadKmsConfig({
    PM_GRPC_PORT: '0',
    PM_DATA_DIR: kmsDir,
    PM_OPEN_REGISTRATION: 'loopback',
    PM_ROTATION_SCHEDULER_INTERVAL_MS: '0',
  }),
  { provider: nativeProvider, log: silentLogger },
);
const kmsAddress = `127.0.0.1:${await kms.start()}`;
const tokenSecret = readFileSync(join(kmsDir, 'auth-token.secret'), 'utf8').trim();
const operatorCredential = readFileSync(join(kmsDir, 'operator.credential'), 'utf8').trim();

async function newAgent(agentId: string): Promise<AgentKeys> {
  const keys = await AgentKeys.open({
    address: kmsAddress,
    agentId,
    keyStore: new MemoryKeyStore({ provider: nativeProvider }),
    provider: nativeProvider,
  });
  await keys.register();
  return keys;
}

const recipient = await newAgent('sink');
await recipient.ensurePrekeys();
const senders = await Promise.all(Array.from({ length: 8 }, (_, i) => newAgent(`sender-${i}`)));
const bundle = await senders[0]?.client.call('fetchPrekeyBundle', { agentId: 'sink' });
const prekey = fromBinary(PrekeySchema, bundle?.signedPrekey?.body ?? new Uint8Array()).key;
if (prekey === undefined) throw new Error('no prekey');
const authorizations = await Promise.all(senders.map((sender) => sender.client.authorization()));

async function sealBatch(count: number): Promise<Array<{ sender: number; envelope: Envelope }>> {
  const batch: Array<{ sender: number; envelope: Envelope }> = [];
  for (let i = 0; i < count; i++) {
    const index = i % senders.length;
    const sender = senders[index];
    if (sender === undefined) continue;
    const envelope = await sealEnvelope(
      nativeProvider,
      sender.signer,
      { senderId: sender.agentId, recipientId: 'sink' },
      [{ keyId: prekey?.keyId ?? '', publicKey: prekey?.publicKey ?? new Uint8Array() }],
      new Uint8Array(payloadBytes(i)).fill(42),
    );
    batch.push({ sender: index, envelope });
  }
  return batch;
}

function waitForListening(child: ChildProcess): Promise<string> {
  return new Promise((resolveAddress, reject) => {
    const lines = createInterface({ input: child.stdout ?? process.stdin });
    const log = process.env.PM_BENCH_SERVICE_LOG;
    lines.on('line', (line) => {
      if (log !== undefined) appendFileSync(log, `${line}\n`);
      const match = /listening on (\S+)/.exec(line);
      if (match?.[1] !== undefined) resolveAddress(match[1]);
    });
    child.once('exit', (code) => reject(new Error(`envelope-processor exited with ${code}`)));
  });
}

function rssMiB(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    return kb / 1024;
  } catch {
    return 0;
  }
}

/** What one thread kind of the service used: CPU (user + system) in ms, read/write syscalls. */
interface ThreadUse {
  cpuMs: number;
  syscalls: number;
}

/**
 * CPU time and read/write-family syscalls (from /proc/<pid>/task/<tid>/{stat,io}: syscr + syscw,
 * which count read, pread, readv, write, pwrite, writev … but not futex, fcntl or epoll) per
 * thread kind of process `pid`. Syscalls are counted because they are expensive on this kind of VM
 * (docs/envelope-processor.md).
 */
function threadUse(pid: number): Map<string, ThreadUse> {
  const ticksPerMs = 100 / 1000; // USER_HZ is 100 on Linux
  const byKind = new Map<string, ThreadUse>();
  let tids: string[] = [];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return byKind;
  }
  for (const tid of tids) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const io = readFileSync(`/proc/${pid}/task/${tid}/io`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const cpuMs = (Number(fields[11]) + Number(fields[12])) / ticksPerMs;
      const syscalls =
        Number(/syscr:\s+(\d+)/.exec(io)?.[1] ?? 0) + Number(/syscw:\s+(\d+)/.exec(io)?.[1] ?? 0);
      const kind =
        comm === 'MainThread' || comm === 'node'
          ? 'main'
          : comm === 'pm-verify'
            ? 'verify workers'
            : comm === 'pm-checkpoints'
              ? 'checkpoints'
              : comm.startsWith('libuv')
                ? 'libuv pool'
                : comm === 'V8Worker'
                  ? 'V8 helpers'
                  : 'other';
      const use = byKind.get(kind) ?? { cpuMs: 0, syscalls: 0 };
      use.cpuMs += cpuMs;
      use.syscalls += syscalls;
      byKind.set(kind, use);
    } catch {
      // the thread ended meanwhile
    }
  }
  return byKind;
}

/**
 * The machine's NATS JetStream, PostgreSQL and Redis for one distributed run (the URLs the tests
 * use: PM_TEST_NATS_URL, PM_TEST_DATABASE_URL, PM_TEST_REDIS_URL), under names of its own —
 * stream and subject prefixes and a PostgreSQL schema — that `remove` deletes afterwards.
 */
function distributedBackends(tag: string): {
  env: Record<string, string>;
  remove(): Promise<void>;
} {
  const clean = tag.replace(/[^A-Za-z0-9]/g, '_');
  const streamPrefix = `PMBENCH_${clean}_`;
  const schema = uniqueSchemaName('pm_bench_ep');
  return {
    env: {
      NATS_URL: natsUrl(),
      DATABASE_URL: postgresUrl(),
      REDIS_URL: redisUrl(),
      PM_DATABASE_SCHEMA: schema,
      PM_NATS_STREAM_PREFIX: streamPrefix,
      PM_NATS_SUBJECT_PREFIX: `pmbench_${clean}`,
    },
    async remove() {
      await deleteStreams(natsUrl(), streamPrefix);
      const admin = await openPostgresDatabase({ connectionString: postgresUrl() });
      try {
        await admin.execute(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      } finally {
        await admin.close();
      }
    },
  };
}

/**
 * Waits (at most 10 s) until the service's SQLite checkpoints run in their worker thread, which
 * takes the databases over 5 s after they open (until then SQLite checkpoints inline, on the main
 * thread: see docs/queues.md). The window measures the service in its steady state, not the
 * hand-over; a run that starts earlier would mostly measure start-up on short runs.
 */
async function checkpointsInWorker(pid: number): Promise<void> {
  const deadline = performance.now() + 10_000;
  while (performance.now() < deadline) {
    if (threadUse(pid).has('checkpoints')) {
      // The service opens its databases during its start, within about a second of each other.
      await new Promise((done) => setTimeout(done, 1000));
      return;
    }
    await new Promise((done) => setTimeout(done, 100));
  }
  console.warn('the checkpoint worker did not start within 10 s; measuring anyway');
}

function percentile(samples: number[], q: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return Number(
    (sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0).toFixed(2),
  );
}

interface Run {
  provider: string;
  cores: number;
  messages: number;
  /** Envelopes per call (1: SendMessage) and calls in flight. */
  batch: number;
  callsInFlight: number;
  envelopesPerSec: number;
  /** Mean of the ceiling measured just before and just after the service's run. */
  ceilingVerifiesPerSec: number;
  /** |before − after| / mean: how much the machine drifted during the run. */
  ceilingSpread: number;
  ratio: number;
  p50Ms: number;
  p99Ms: number;
  peakRssMiB: number;
  /** RSS right before the measured window (started, warmed up, idle): what load adds is the rest. */
  restRssMiB: number;
  /** Service CPU per envelope in µs during the measured window, by thread kind. */
  cpuUsPerEnvelope: Record<string, number>;
  /** The service's read/write-family syscalls per envelope during the window, by thread kind. */
  syscallsPerEnvelope: Record<string, number>;
  /** CPU of this process (the load generator) per envelope, µs: on 2 cores it shares them. */
  loadGeneratorCpuUsPerEnvelope: number;
}

/** The crypto-only ceiling (verify-ceiling.ts) over `file`'s envelopes on `cpuList`: verifies/s. */
async function measureCeiling(
  cpuList: string,
  file: string,
  env: NodeJS.ProcessEnv,
): Promise<number> {
  const child = spawn(
    'taskset',
    [
      '-c',
      cpuList,
      node,
      join(root, 'services/envelope-processor/bench/verify-ceiling.ts'),
      file,
      String(concurrency),
    ],
    { env, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  await new Promise((done) => child.once('exit', done));
  const result = JSON.parse(output.trim().split('\n').at(-1) ?? '{}') as {
    verifiesPerSec?: number;
  };
  if (typeof result.verifiesPerSec !== 'number') {
    throw new Error(`the ceiling printed no result: ${output.slice(0, 200)}`);
  }
  return result.verifiesPerSec;
}

async function run(
  provider: 'native' | 'noble',
  cores: number,
  count: number,
  warmup: number,
): Promise<Run> {
  const cpuList = Array.from({ length: cores }, (_, i) => i).join(',');
  const batch = await sealBatch(warmup + count);
  const dir = mkdtempSync(join(tmpdir(), 'pm-bench-ep-'));
  const file = join(dir, 'envelopes.json');
  writeFileSync(
    file,
    JSON.stringify({
      keys: Object.fromEntries(
        senders.map((s) => [
          s.agentId,
          {
            mlDsa65: toHex(s.signer.publicKey.mlDsa65),
            ed25519: toHex(s.signer.publicKey.ed25519),
          },
        ]),
      ),
      envelopes: batch.map(({ sender, envelope }) => ({
        sender: senders[sender]?.agentId,
        bytes: toHex(toBinary(EnvelopeSchema, envelope)),
      })),
    }),
  );
  const env = {
    ...process.env,
    PM_CRYPTO_PROVIDER: provider,
    UV_THREADPOOL_SIZE: String(Math.max(2, cores)),
    // Service and ceiling alike; 'cores' leaves the default (one worker per core it may use).
    ...(values['verify-workers'] === 'cores'
      ? {}
      : { PM_VERIFY_WORKERS: values['verify-workers'] }),
  };
  // The ceiling brackets the service's run (measured just before and just after it): on a shared
  // VM the machine's speed drifts by tens of percent within a minute, and one measurement taken
  // before would make the ratio mostly noise. The ratio uses their mean; the spread is reported.
  const ceilingBefore = await measureCeiling(cpuList, file, env);
  const backends = distributed
    ? distributedBackends(`${process.pid}_${provider}_${cores}`)
    : undefined;

  const profile = process.env.PM_BENCH_CPU_PROF
    ? ['--cpu-prof', '--cpu-prof-dir', process.env.PM_BENCH_CPU_PROF]
    : [];
  if (process.env.PM_BENCH_NODE_ARGS) profile.push(...process.env.PM_BENCH_NODE_ARGS.split(' '));
  const child = spawn(
    'taskset',
    ['-c', cpuList, node, ...profile, join(root, 'services/envelope-processor/bin/start.js')],
    {
      env: {
        ...env,
        PM_GRPC_PORT: '0',
        PM_DATA_DIR: dir,
        PM_KEY_MANAGEMENT_ADDRESS: kmsAddress,
        PM_SERVICE_CREDENTIAL: operatorCredential,
        PM_AUTH_TOKEN_SECRET: tokenSecret,
        PM_OPERATOR_CREDENTIALS: OperatorCredentials.entryFor('local', operatorCredential),
        PM_REPLAY_WINDOW_SECONDS: '3600',
        PM_MAX_ENVELOPE_BYTES: String(1024 * 1024),
        ...(backends?.env ?? {}),
      },
      stdio: ['ignore', 'pipe', 'ignore'],
    },
  );
  const address = await waitForListening(child);
  // Requests are encoded before the measured window and sent as raw bytes: on 2 cores the load
  // generator shares the service's cores, so it should spend as little CPU as it can.
  const client = new LeanGrpcClient(address);
  // Calls of up to `batchSize` envelopes, each of one sender (a call is one agent's).
  const chunk = (items: typeof batch) => {
    const calls: Array<{ sender: number; envelopes: Envelope[] }> = [];
    const bySender = new Map<number, Envelope[]>();
    for (const { sender, envelope } of items) {
      const open = bySender.get(sender) ?? [];
      open.push(envelope);
      bySender.set(sender, open);
      if (open.length === batchSize) {
        calls.push({ sender, envelopes: open });
        bySender.delete(sender);
      }
    }
    for (const [sender, envelopes] of bySender) calls.push({ sender, envelopes });
    return calls;
  };
  interface Call {
    readonly sender: number;
    readonly envelopes: Envelope[];
    /** The encoded SendMessage requests (batch 1) or the one SendMessages request, gRPC-framed. */
    readonly bodies: Uint8Array[];
  }
  const encode = (calls: Array<{ sender: number; envelopes: Envelope[] }>): Call[] =>
    calls.map((call) => ({
      ...call,
      bodies:
        batchSize === 1
          ? call.envelopes.map((envelope) =>
              grpcFrame(
                toBinary(SendMessageRequestSchema, create(SendMessageRequestSchema, { envelope })),
              ),
            )
          : [
              grpcFrame(
                toBinary(
                  SendMessagesRequestSchema,
                  create(SendMessagesRequestSchema, { envelopes: call.envelopes }),
                ),
              ),
            ],
    }));
  const send = async ({ sender, envelopes, bodies }: Call) => {
    const authorization = authorizations[sender] ?? '';
    if (batchSize === 1) {
      for (const body of bodies) await client.call(SEND_MESSAGE, body, authorization);
      return;
    }
    const response = await client.call(SEND_MESSAGES, bodies[0] ?? new Uint8Array(), authorization);
    const { results } = fromBinary(SendMessagesResponseSchema, response);
    const refused = results.find((r) => r.outcome.case !== 'sent');
    if (refused !== undefined || results.length !== envelopes.length)
      throw new Error(
        `SendMessages refused an envelope: ${refused?.outcome.case === 'error' ? refused.outcome.value.message : `${results.length} results for ${envelopes.length}`}`,
      );
  };
  /** Sends `calls` with `callsInFlight` in flight; `latency` gets each call's time. */
  const sendAll = async (calls: Call[], latency?: (ms: number, envelopes: number) => void) => {
    let next = 0;
    await Promise.all(
      Array.from({ length: callsInFlight }, async () => {
        while (next < calls.length) {
          const call = calls[next++];
          if (call === undefined) break;
          const sentAt = performance.now();
          await send(call);
          latency?.(performance.now() - sentAt, call.envelopes.length);
        }
      }),
    );
  };
  // Warm up (JIT, key directory cache, connection) the same way, long enough for the JIT: with
  // 20 envelopes of warm-up a 6,000-envelope window measured 208–223 µs of main thread per
  // envelope, a 20,000-envelope one 132 µs.
  await sendAll(encode(chunk(batch.splice(0, Math.min(warmup, batch.length)))));
  const calls = encode(chunk(batch));
  if (!distributed) await checkpointsInWorker(child.pid ?? 0);
  const restRss = rssMiB(child.pid ?? 0);
  let peakRss = 0;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, rssMiB(child.pid ?? 0));
  }, 50);
  const latencies: number[] = [];
  const useBefore = threadUse(child.pid ?? 0);
  const ownBefore = process.cpuUsage();
  const start = performance.now();
  await sendAll(calls, (latency, envelopes) => {
    for (let i = 0; i < envelopes; i++) latencies.push(latency);
  });
  const seconds = (performance.now() - start) / 1000;
  const useAfter = threadUse(child.pid ?? 0);
  const own = process.cpuUsage(ownBefore);
  clearInterval(sampler);
  client.close();
  child.kill('SIGTERM');
  await new Promise((done) => child.once('exit', done));
  const ceilingAfter = await measureCeiling(cpuList, file, env);
  rmSync(dir, { recursive: true, force: true });
  await backends?.remove();
  const ceiling = (ceilingBefore + ceilingAfter) / 2;
  const envelopesPerSec = latencies.length / seconds;
  const cpuUsPerEnvelope: Record<string, number> = {};
  const syscallsPerEnvelope: Record<string, number> = {};
  const envelopes = Math.max(1, latencies.length);
  let totalCpuMs = 0;
  let totalSyscalls = 0;
  for (const [kind, use] of useAfter) {
    const before = useBefore.get(kind) ?? { cpuMs: 0, syscalls: 0 };
    const spent = use.cpuMs - before.cpuMs;
    const syscalls = use.syscalls - before.syscalls;
    totalCpuMs += spent;
    totalSyscalls += syscalls;
    cpuUsPerEnvelope[kind] = Math.round((spent * 1000) / envelopes);
    syscallsPerEnvelope[kind] = Number((syscalls / envelopes).toFixed(1));
  }
  cpuUsPerEnvelope.total = Math.round((totalCpuMs * 1000) / envelopes);
  syscallsPerEnvelope.total = Number((totalSyscalls / envelopes).toFixed(1));
  const loadGeneratorCpuUsPerEnvelope = Math.round(
    (own.user + own.system) / Math.max(1, latencies.length),
  );
  return {
    provider,
    cores,
    messages: latencies.length,
    batch: batchSize,
    callsInFlight,
    envelopesPerSec: Number(envelopesPerSec.toFixed(1)),
    ceilingVerifiesPerSec: Number(ceiling.toFixed(1)),
    ceilingSpread: Number((Math.abs(ceilingBefore - ceilingAfter) / ceiling).toFixed(3)),
    ratio: Number((envelopesPerSec / ceiling).toFixed(3)),
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99),
    peakRssMiB: Number(peakRss.toFixed(1)),
    restRssMiB: Number(restRss.toFixed(1)),
    cpuUsPerEnvelope,
    syscallsPerEnvelope,
    loadGeneratorCpuUsPerEnvelope,
  };
}

console.log(
  `envelope-processor throughput, node ${process.version}, ${batchSize === 1 ? `SendMessage, ${concurrency} in flight` : `SendMessages of ${batchSize}, ${callsInFlight} calls in flight`}, payloads of ${payloadMin === payloadMax ? `${payloadMin}` : `${payloadMin}–${payloadMax}`} bytes, ${distributed ? `distributed (NATS ${natsUrl()}, PostgreSQL, Redis; their servers run outside the service's cores only if the machine has cores to spare)` : 'embedded queue'}`,
);
const runs: Run[] = [];
/** Per provider and core count over the rounds: the median ratio and its range. */
const summary: Array<{
  provider: string;
  cores: number;
  medianRatio: number;
  minRatio: number;
  maxRatio: number;
  medianEnvelopesPerSec: number;
}> = [];
const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[mid] ?? 0)
    : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
};
for (const provider of providers) {
  for (const cores of coreCounts) {
    const count =
      provider === 'native' ? Number(values.messages) : Number(values['noble-messages']);
    const warmup = provider === 'native' ? Number(values.warmup) : Number(values['noble-warmup']);
    const mine: Run[] = [];
    for (let round = 0; round < rounds; round++) {
      const result = await run(provider, cores, count, warmup);
      mine.push(result);
      console.log(
        `${provider.padEnd(6)} ${cores} core(s): ${String(result.envelopesPerSec).padStart(8)} env/s  ceiling ${String(result.ceilingVerifiesPerSec).padStart(8)} verify/s (±${((result.ceilingSpread / 2) * 100).toFixed(0)}%: before/after)  ratio ${result.ratio.toFixed(2)}  p50 ${result.p50Ms} ms  p99 ${result.p99Ms} ms  peak RSS ${result.peakRssMiB} MiB (${result.restRssMiB} at rest)`,
      );
      console.log(
        `       service CPU per envelope (µs): ${Object.entries(result.cpuUsPerEnvelope)
          .map(([kind, us]) => `${kind} ${us}`)
          .join(', ')}; load generator ${result.loadGeneratorCpuUsPerEnvelope}`,
      );
      console.log(
        `       read/write syscalls per envelope: ${Object.entries(result.syscallsPerEnvelope)
          .map(([kind, calls]) => `${kind} ${calls}`)
          .join(', ')}`,
      );
    }
    runs.push(...mine);
    const ratios = mine.map((r) => r.ratio);
    summary.push({
      provider,
      cores,
      medianRatio: Number(median(ratios).toFixed(3)),
      minRatio: Math.min(...ratios),
      maxRatio: Math.max(...ratios),
      medianEnvelopesPerSec: Number(median(mine.map((r) => r.envelopesPerSec)).toFixed(1)),
    });
    if (rounds > 1) {
      const last = summary.at(-1);
      console.log(
        `       ${rounds} rounds: median ratio ${last?.medianRatio.toFixed(2)} (${last?.minRatio.toFixed(2)}–${last?.maxRatio.toFixed(2)}), median ${last?.medianEnvelopesPerSec} env/s`,
      );
    }
  }
}
console.log(
  JSON.stringify({
    bench: 'envelope-processor',
    concurrency,
    batch: batchSize,
    callsInFlight,
    rounds,
    payloadBytes: { min: payloadMin, max: payloadMax },
    mode: values.mode,
    summary,
    runs,
  }),
);

for (const agent of [recipient, ...senders]) agent.close();
await kms.destroy();
rmSync(kmsDir, { recursive: true, force: true });
