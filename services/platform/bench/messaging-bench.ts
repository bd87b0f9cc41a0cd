/**
 * End-to-end messaging benchmark against the embedded platform as its own process, through the
 * SDK exactly as an agent uses it:
 *
 * - platform start: spawn → "listening" line, fresh data folder, median of `--starts` runs;
 * - send → receive → decrypt latency at a moderate, open-loop rate (`--rate` messages/s for
 *   `--seconds`): from just before `send` (prekey bundle fetch, seal, sign, SendMessage) to the
 *   moment the recipient's `receive` yields the verified, decrypted message; p50 / p99 / max;
 * - request/response round trip, one at a time: p50 / p99;
 * - the crypto floor of one message measured in the same run (seal + server verify + recipient
 *   verify-and-open, native, one at a time), and the end-to-end p50 as a multiple of it;
 * - SDK seal and open throughput of a 1 KiB message per provider (in process, no network);
 * - the platform process's peak RSS (VmHWM) after the load.
 *
 * Usage: pnpm bench:messaging [--rate 20] [--seconds 10] [--requests 300] [--starts 3] [--ms 1000]
 * Prints a table, then one JSON line (`{"bench":"messaging",...}`).
 *
 * Per message the CPU work is about 10 ms on this 2-core machine (sender: bundle check, X-Wing,
 * ML-DSA-65 sign; server: verify; recipient: verify, decrypt, sign the receipt; sender: verify
 * the receipt), so 20 messages/s is a moderate load and 100/s saturates a core.
 *
 * Caveat: the load generator, both agents and the platform share this machine's cores.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { type AgentClient, connectAgent } from '@proof-messenger/client-sdk';
import {
  CompositeSigner,
  type CryptoProvider,
  KemKeyPair,
  nativeProvider,
  nobleProvider,
} from '@proof-messenger/crypto';
import {
  DEFAULT_SUITE,
  openEnvelope,
  sealEnvelope,
  verifyEnvelope,
} from '@proof-messenger/protocol';

const { values } = parseArgs({
  options: {
    rate: { type: 'string', default: '20' },
    seconds: { type: 'string', default: '10' },
    requests: { type: 'string', default: '300' },
    starts: { type: 'string', default: '3' },
    ms: { type: 'string', default: '1000' },
  },
});
const rate = Number(values.rate);
const seconds = Number(values.seconds);
const requests = Number(values.requests);
const starts = Number(values.starts);
const cryptoMs = Number(values.ms);
const MAIN = resolve(import.meta.dirname, '../bin/start.js');

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

function summary(samples: number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    count: sorted.length,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    max: sorted.at(-1) ?? Number.NaN,
  };
}

const round = (value: number, digits = 2) => Number(value.toFixed(digits));

interface RunningPlatform {
  readonly child: ChildProcess;
  readonly address: string;
  readonly dataDir: string;
  readonly startMs: number;
}

async function startPlatform(): Promise<RunningPlatform> {
  const dataDir = mkdtempSync(join(tmpdir(), 'pm-bench-platform-'));
  const began = performance.now();
  const child = spawn(process.execPath, [MAIN], {
    env: { PATH: process.env.PATH ?? '', PM_GRPC_PORT: '0', PM_DATA_DIR: dataDir },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const address = await new Promise<string>((resolveAddress, reject) => {
    child.once('exit', (code) => reject(new Error(`the platform exited with ${code}`)));
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      const match = /^platform listening on (\S+:\d+)$/.exec(line);
      if (match?.[1] !== undefined) resolveAddress(match[1]);
    });
  });
  return { child, address, dataDir, startMs: performance.now() - began };
}

async function stopPlatform(platform: RunningPlatform): Promise<void> {
  const exited = new Promise((done) => platform.child.once('exit', done));
  platform.child.kill('SIGTERM');
  await exited;
  rmSync(platform.dataDir, { recursive: true, force: true });
}

function peakRssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? Number.NaN);
  return kib / 1024;
}

/** Ops/s of `fn` run back to back for `ms`. */
async function opsPerSecond(fn: () => Promise<unknown>, ms: number): Promise<number> {
  for (let i = 0; i < 3; i++) await fn();
  let count = 0;
  const start = performance.now();
  while (performance.now() - start < ms) {
    await fn();
    count++;
  }
  return count / ((performance.now() - start) / 1000);
}

/** Seal and open of a 1 KiB message in process, and the crypto floor of one message. */
async function sdkCrypto(provider: CryptoProvider) {
  const sender = CompositeSigner.generate(provider).signer;
  const prekey = KemKeyPair.generate(provider, DEFAULT_SUITE).keyPair;
  const content = provider.randomBytes(1024);
  const fields = { senderId: 'bench-alice', recipientId: 'bench-bob' };
  const seal = () => sealEnvelope(provider, sender, fields, [prekey], content);
  const sample = await seal();
  const sealPerSec = await opsPerSecond(seal, cryptoMs);
  const openPerSec = await opsPerSecond(
    () => openEnvelope(provider, sample, sender.publicKey, [prekey]),
    cryptoMs,
  );
  const verifyPerSec = await opsPerSecond(
    () => verifyEnvelope(provider, sample, sender.publicKey),
    cryptoMs,
  );
  return {
    provider: provider.name,
    sealPerSec: round(sealPerSec, 1),
    openPerSec: round(openPerSec, 1),
    verifyPerSec: round(verifyPerSec, 1),
    /** seal + server verify + recipient verify-and-open, one message, ms */
    floorMs: round(1000 / sealPerSec + 1000 / verifyPerSec + 1000 / openPerSec, 3),
  };
}

/** Sends at `rate`/s for `seconds` and measures until each message is yielded decrypted. */
async function latencyAtRate(alice: AgentClient, bob: AgentClient) {
  const total = Math.round(rate * seconds);
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  let failures = 0;
  const stop = new AbortController();
  const acks: Promise<void>[] = [];
  const receiving = (async () => {
    for await (const item of bob.receive({ signal: stop.signal, waitMs: 1000 })) {
      if (item.kind === 'message') {
        const began = sentAt.get(item.text());
        if (began !== undefined) latencies.push(performance.now() - began);
      }
      acks.push(item.ack());
      if (latencies.length === total) break;
    }
  })();
  const t0 = performance.now();
  const sends: Promise<unknown>[] = [];
  for (let i = 0; i < total; i++) {
    const due = t0 + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    const tag = `m-${i}`;
    sentAt.set(tag, performance.now());
    sends.push(alice.send(bob.agentId, tag).catch(() => failures++));
  }
  await Promise.all(sends);
  const deadline = Date.now() + 30_000;
  while (latencies.length + failures < total && Date.now() < deadline) await sleep(20);
  stop.abort();
  await receiving;
  await Promise.allSettled(acks);
  // Notices (alice's receipts) pile up in alice's queue; drain them so RSS reflects steady state.
  const drain = AbortSignal.timeout(5000);
  for await (const item of alice.receive({ signal: drain, waitMs: 200, maxMessages: 128 })) {
    await item.ack();
  }
  return { ...summary(latencies), sent: total, failures, achievedRate: round(total / seconds) };
}

async function requestResponse(asker: AgentClient, answerer: AgentClient) {
  const stop = new AbortController();
  const answering = (async () => {
    for await (const item of answerer.receive({ signal: stop.signal, waitMs: 1000 })) {
      if (item.kind === 'message') await answerer.reply(item, `re: ${item.text()}`);
      await item.ack();
    }
  })();
  const rounds: number[] = [];
  const acks: Promise<void>[] = [];
  for (let i = 0; i < requests; i++) {
    const began = performance.now();
    const reply = await asker.request(answerer.agentId, `q-${i}`, { timeoutMs: 10_000 });
    rounds.push(performance.now() - began);
    acks.push(reply.ack());
  }
  await Promise.all(acks);
  stop.abort();
  await answering;
  return summary(rounds);
}

const startTimes: number[] = [];
for (let i = 1; i < starts; i++) {
  const probe = await startPlatform();
  startTimes.push(probe.startMs);
  await stopPlatform(probe);
}
const platform = await startPlatform();
startTimes.push(platform.startMs);
const idleRssMiB = peakRssMiB(platform.child.pid ?? 0);

const connect = (name: string) =>
  connectAgent({
    agentId: `${name}-${process.pid}`,
    address: platform.address,
    provider: nativeProvider,
  });
const [alice, bob, carol, dave] = (await Promise.all(
  ['alice', 'bob', 'carol', 'dave'].map(connect),
)) as [AgentClient, AgentClient, AgentClient, AgentClient];

const latency = await latencyAtRate(alice, bob);
const roundTrip = await requestResponse(carol, dave);
const rssMiB = peakRssMiB(platform.child.pid ?? 0);
for (const client of [alice, bob, carol, dave]) client.close();
await stopPlatform(platform);

const crypto = [await sdkCrypto(nativeProvider), await sdkCrypto(nobleProvider)];
const floorMs = crypto[0]?.floorMs ?? Number.NaN;
const start = summary(startTimes);

console.log(`Proof-Messenger messaging benchmark (node ${process.version}, embedded platform)
  platform start (spawn → listening)    p50 ${start.p50.toFixed(0)} ms over ${start.count} starts
  send → receive → decrypt at ${latency.achievedRate}/s  p50 ${latency.p50.toFixed(2)} ms  p99 ${latency.p99.toFixed(2)} ms  max ${latency.max.toFixed(1)} ms  (${latency.count}/${latency.sent} received, ${latency.failures} failed sends)
  crypto floor of one message (native)  ${floorMs.toFixed(2)} ms  → end-to-end p50 is ${(latency.p50 / floorMs).toFixed(2)}× the floor
  request/response round trip            p50 ${roundTrip.p50.toFixed(2)} ms  p99 ${roundTrip.p99.toFixed(2)} ms  (${roundTrip.count} requests)
  platform RSS                           idle ${idleRssMiB.toFixed(0)} MiB, peak under load ${rssMiB.toFixed(0)} MiB`);
for (const row of crypto) {
  console.log(
    `  SDK ${row.provider.padEnd(6)} 1 KiB: seal ${row.sealPerSec}/s  open ${row.openPerSec}/s  verify ${row.verifyPerSec}/s`,
  );
}
console.log(
  JSON.stringify({
    bench: 'messaging',
    platformStartMs: round(start.p50, 1),
    latencyMs: {
      rate: latency.achievedRate,
      p50: round(latency.p50),
      p99: round(latency.p99),
      max: round(latency.max),
      received: latency.count,
      sent: latency.sent,
      failures: latency.failures,
    },
    cryptoFloorMs: floorMs,
    latencyToFloor: round(latency.p50 / floorMs),
    requestResponseMs: {
      p50: round(roundTrip.p50),
      p99: round(roundTrip.p99),
      count: roundTrip.count,
    },
    rssMiB: { idle: round(idleRssMiB, 1), peak: round(rssMiB, 1) },
    sdk: crypto,
  }),
);
