/**
 * Durability of the envelope processor in distributed mode under faults. A private nats-server
 * (own port, own store; never the machine's shared one), PostgreSQL for the replay guard,
 * key-management in process, and the envelope processor as a real child process. While one
 * sender sends 2,000 distinct messages with client retries (the same envelope, so the same
 * message id, on UNAVAILABLE, DEADLINE_EXCEEDED or a dropped connection), the processor is
 * SIGKILLed and restarted once and NATS is stopped and started again once. Then the recipient
 * drains its queue, acking every delivery, and hands each message id to the "application" at most
 * once (dedupe by sender + message id, as the SDK will).
 *
 * What must hold: every message whose SendMessage returned OK is delivered (none lost); no id
 * reaches the application twice; nothing arrives that was never sent; and what arrives is
 * byte-for-byte what was sent. Raw redeliveries (the same id handed out again by the queue) are
 * counted and reported separately: at-least-once allows them, the application dedupe absorbs them.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fromBinary } from '@bufbuild/protobuf';
import { AgentKeys, MemoryKeyStore } from '@proof-messenger/client-sdk';
import { equalBytes, nativeProvider, utf8 } from '@proof-messenger/crypto';
import { Code, codeName, ProofMessengerError, Reason } from '@proof-messenger/errors';
import {
  type Delivery,
  type Envelope,
  EnvelopeProcessorService,
  PrekeySchema,
} from '@proof-messenger/proto';
import { parseEnvelope, sealEnvelope } from '@proof-messenger/protocol';
import {
  PromiseClient,
  type RequestInit,
  type ResponseOf,
  type UnaryMethodName,
} from '@proof-messenger/rpc';
import { openPostgresDatabase } from '@proof-messenger/storage';
import { postgresUrl, requireServices, uniqueSchemaName } from '@proof-messenger/storage/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../services/key-management/test/service-harness.ts';
import { EnvelopeProcessorProcess } from './support/envelope-processor-process.ts';
import { freePort } from './support/free-port.ts';
import { NATS_SERVER_BINARY, NatsServer } from './support/nats-server.ts';

const provider = nativeProvider;
type Service = typeof EnvelopeProcessorService;

const TOTAL = 2000;
const CONCURRENCY = 8;
/** The processor is killed once this many sends were acknowledged, NATS restarted at the second. */
const KILL_PROCESSOR_AT = 500;
const RESTART_NATS_AT = 1200;
/** How long each fault keeps its service down. */
const DOWN_MS = 1000;
/** Deadline of one SendMessage attempt. */
const ATTEMPT_TIMEOUT_MS = 10_000;
/** The whole test; sending and draining each get a share of it. */
const TEST_TIMEOUT_MS = 240_000;
const SEND_DEADLINE_MS = 120_000;
const DRAIN_DEADLINE_MS = 60_000;

const databases = await requireServices(['postgres', 'redis']);
const natsInstalled = NatsServer.installed();
if (!natsInstalled && process.env.CI) {
  throw new Error(`CI needs nats-server at ${NATS_SERVER_BINARY} (apt-get install nats-server)`);
}
const skipReason = !databases.available
  ? databases.reason
  : natsInstalled
    ? ''
    : `nats-server is not installed at ${NATS_SERVER_BINARY}`;
if (skipReason !== '') console.warn(`skipping the envelope-processor fault test: ${skipReason}`);

/** Why a failed attempt is worth retrying with the same envelope, or undefined when it is not. */
function transientFailure(err: unknown): string | undefined {
  if (err instanceof ProofMessengerError) {
    if (err.code === Code.UNAVAILABLE || err.code === Code.DEADLINE_EXCEEDED) {
      return codeName(err.code);
    }
    // A connection dropped mid-call surfaces from grpc-js without the service's error detail.
    if (
      err.reason === Reason.UNSPECIFIED &&
      /connection|socket|RST_STREAM|ECONN/i.test(err.message)
    ) {
      return `${codeName(err.code)} (transport)`;
    }
    return undefined;
  }
  return err instanceof Error && /ECONN|socket/i.test(err.message) ? 'connection' : undefined;
}

function sum(counts: ReadonlyMap<string, number>): number {
  return [...counts.values()].reduce((total, n) => total + n, 0);
}

function increment(counts: Map<string, number>, key: string): void {
  counts.set(key, (counts.get(key) ?? 0) + 1);
}

/** Runs `work` over `items` with at most `limit` in flight. */
async function forEachLimited<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < items.length; i = next++) await work(items[i] as T);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

describe.skipIf(skipReason !== '')('envelope processor durability under faults', () => {
  const started = performance.now();
  const timeline: string[] = [];
  const mark = (event: string) => {
    const line = `${((performance.now() - started) / 1000).toFixed(2).padStart(7)} s  ${event}`;
    timeline.push(line);
    console.log(`[durability] ${line}`);
  };

  const schema = uniqueSchemaName('pm_ep_fault');
  let nats: NatsServer | undefined;
  let kms: Harness | undefined;
  let processor: EnvelopeProcessorProcess | undefined;
  let dataDir: string | undefined;
  let client: PromiseClient<Service> | undefined;
  const agents: AgentKeys[] = [];

  async function agent(agentId: string): Promise<AgentKeys> {
    if (kms === undefined) throw new Error('key-management is not running');
    const keys = await AgentKeys.open({
      address: kms.address,
      agentId,
      keyStore: new MemoryKeyStore({ provider }),
      provider,
      prekeys: { lowWater: 2, target: 5 },
    });
    agents.push(keys);
    await keys.register();
    await keys.ensurePrekeys();
    return keys;
  }

  /** Calls the envelope processor as `keys`' agent, with one attempt's deadline. */
  async function call<K extends UnaryMethodName<Service>>(
    keys: AgentKeys,
    method: K,
    request: RequestInit<Service, K>,
  ): Promise<ResponseOf<Service, K>> {
    if (client === undefined) throw new Error('no client');
    const authorization = await keys.client.authorization();
    return client.call(method, request, {
      metadata: { authorization },
      timeoutMs: ATTEMPT_TIMEOUT_MS,
    });
  }

  beforeAll(async () => {
    nats = await NatsServer.start();
    mark(`nats-server up at ${nats.url}, store ${nats.storeDir}`);
    kms = await startHarness('distributed', { PM_OPEN_REGISTRATION: 'loopback' });
    dataDir = mkdtempSync(join(tmpdir(), 'pm-ep-fault-'));
    const unique = randomBytes(6).toString('hex');
    processor = await EnvelopeProcessorProcess.start({
      PM_GRPC_HOST: '127.0.0.1',
      PM_GRPC_PORT: String(await freePort()),
      PM_DATA_DIR: dataDir,
      NATS_URL: nats.url,
      PM_NATS_STREAM_PREFIX: `PMT_FAULT_${unique}_`,
      PM_NATS_SUBJECT_PREFIX: `pmt_fault_${unique}`,
      DATABASE_URL: postgresUrl(),
      PM_DATABASE_SCHEMA: schema,
      ...kms.peerEnv(),
      PM_QUEUE_PARTITIONS: '4',
      PM_ACK_WAIT_MS: '10000',
    });
    mark(`envelope-processor pid ${processor.pid} listening on ${processor.address}`);
    // Reconnect quickly after the processor comes back, as a client with a short backoff cap would.
    client = new PromiseClient(EnvelopeProcessorService, processor.address, undefined, {
      'grpc.initial_reconnect_backoff_ms': 100,
      'grpc.max_reconnect_backoff_ms': 500,
    });
  }, 60_000);

  afterAll(async () => {
    for (const keys of agents) keys.close();
    client?.close();
    const problems: unknown[] = [];
    const attempt = async (step: () => Promise<unknown>) => {
      try {
        await step();
      } catch (err) {
        problems.push(err);
      }
    };
    await attempt(async () => processor?.stop());
    await attempt(async () => nats?.close());
    await attempt(async () => kms?.close());
    await attempt(async () => {
      const db = await openPostgresDatabase({ connectionString: postgresUrl() });
      try {
        await db.execute(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      } finally {
        await db.close();
      }
    });
    if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true });
    console.log(`[durability] timeline:\n${timeline.join('\n')}`);
    if (problems.length > 0) throw new AggregateError(problems, 'cleanup failed');
  }, 60_000);

  it(
    'delivers every acknowledged message exactly once to the application across a processor crash and a NATS restart',
    async () => {
      if (processor === undefined || nats === undefined) throw new Error('not started');
      const ep = processor;
      const natsServer = nats;
      const sender = await agent('fault-sender');
      const recipient = await agent('fault-recipient');

      // Seal everything first, so the send phase measures the processor, not the sender's CPU.
      const bundle = await sender.client.call('fetchPrekeyBundle', { agentId: 'fault-recipient' });
      const prekey = fromBinary(PrekeySchema, bundle.signedPrekey?.body ?? new Uint8Array()).key;
      if (prekey === undefined) throw new Error('the recipient has no signed prekey');
      const envelopes = new Map<string, Envelope>();
      for (let i = 0; i < TOTAL; i++) {
        const envelope = await sealEnvelope(
          provider,
          sender.signer,
          { senderId: 'fault-sender', recipientId: 'fault-recipient', createdAtMs: Date.now() },
          [{ keyId: prekey.keyId, publicKey: prekey.publicKey }],
          utf8(`message ${i}`),
        );
        envelopes.set(parseEnvelope(envelope).header.messageId, envelope);
      }
      expect(envelopes.size).toBe(TOTAL);
      mark(`sealed ${TOTAL} envelopes`);

      // Send with retries while the faults happen.
      const acknowledged = new Set<string>();
      const duplicateAnswers = new Map<string, number>();
      const retriesByCause = new Map<string, number>();
      /** Which fault the run is in: retries, duplicate answers and stalls are counted per fault. */
      let phase = 'no fault';
      /** Longest time without any acknowledgement, per phase (the outage the sender saw). */
      const stalls = new Map<string, number>();
      let lastAckAt = performance.now();
      const retriedIds = new Set<string>();
      const failures = new Map<string, string>();
      let attempts = 0;
      const sendDeadline = Date.now() + SEND_DEADLINE_MS;
      let sending = true;

      const sendOne = async ([messageId, envelope]: [string, Envelope]) => {
        for (let retry = 0; ; retry++) {
          attempts++;
          try {
            const answer = await call(sender, 'sendMessage', { envelope });
            expect(answer.messageId).toBe(messageId);
            acknowledged.add(messageId);
            const now = performance.now();
            stalls.set(phase, Math.max(stalls.get(phase) ?? 0, Math.round(now - lastAckAt)));
            lastAckAt = now;
            if (answer.duplicate) increment(duplicateAnswers, phase);
            return;
          } catch (err) {
            const cause = transientFailure(err);
            if (cause === undefined || Date.now() >= sendDeadline) {
              const code = err instanceof ProofMessengerError ? codeName(err.code) : 'error';
              failures.set(messageId, `${code}: ${err instanceof Error ? err.message : err}`);
              return;
            }
            increment(retriesByCause, `${phase}: ${cause}`);
            retriedIds.add(messageId);
            const backoff = Math.min(1000, 50 * 2 ** Math.min(retry, 5));
            await sleep(backoff / 2 + Math.random() * (backoff / 2));
          }
        }
      };

      /** Acknowledged sends when each service was back: sending must go on after both. */
      const ackedWhenBack = new Map<string, number>();
      const waitForAcks = async (count: number) => {
        while (sending && acknowledged.size < count) await sleep(5);
        if (!sending) throw new Error(`sending ended before ${count} sends were acknowledged`);
      };
      const faults = (async () => {
        await waitForAcks(KILL_PROCESSOR_AT);
        const oldPid = ep.pid;
        phase = 'processor crash';
        const exit = await ep.kill();
        mark(
          `SIGKILL envelope-processor pid ${oldPid} (${exit.signal}) at ${acknowledged.size} acks`,
        );
        await sleep(DOWN_MS);
        const restarting = performance.now();
        await ep.startAgain();
        ackedWhenBack.set(phase, acknowledged.size);
        mark(
          `envelope-processor pid ${ep.pid} listening again after ${Math.round(performance.now() - restarting)} ms of startup`,
        );
        await waitForAcks(RESTART_NATS_AT);
        phase = 'NATS restart';
        const natsExit = await natsServer.stop();
        mark(
          `nats-server stopped (exit ${natsExit?.code ?? natsExit?.signal}) at ${acknowledged.size} acks`,
        );
        await sleep(DOWN_MS);
        await natsServer.startAgain();
        ackedWhenBack.set(phase, acknowledged.size);
        mark(`nats-server accepting connections again (acks so far: ${acknowledged.size})`);
      })();
      faults.catch(() => undefined); // awaited below; do not leave it unhandled meanwhile

      mark(`sending ${TOTAL} messages, ${CONCURRENCY} at a time`);
      const sendStarted = performance.now();
      try {
        await forEachLimited([...envelopes], CONCURRENCY, sendOne);
      } finally {
        sending = false;
      }
      const sendSeconds = (performance.now() - sendStarted) / 1000;
      mark(
        `sending done in ${sendSeconds.toFixed(1)} s: ${acknowledged.size} acknowledged (${sum(duplicateAnswers)} answered duplicate), ${failures.size} failed, ${attempts} attempts, ${retriedIds.size} messages retried`,
      );
      await faults; // rethrows when sending ended before a fault could be injected

      // Drain: poll in batches, ack every delivery, dedupe by (sender, message id) before the
      // "application" sees a message.
      const handedToApplication = new Map<string, number>();
      const rawDeliveries = new Map<string, number>();
      const redeliveries: string[] = [];
      const unknown: string[] = [];
      const altered: string[] = [];
      const deliveredUnacknowledged = new Set<string>();
      const ackFailures = new Map<string, number>();
      let rawCount = 0;
      let polls = 0;
      const drainDeadline = Date.now() + DRAIN_DEADLINE_MS;
      const drainStarted = performance.now();

      const receive = async (delivery: Delivery) => {
        rawCount++;
        if (delivery.content.case !== 'envelope') {
          unknown.push(`a ${delivery.content.case ?? 'empty'} delivery`);
        } else {
          const received = delivery.content.value;
          const { header } = parseEnvelope(received);
          const key = `${header.senderId}/${header.messageId}`;
          increment(rawDeliveries, key);
          const sent =
            header.senderId === 'fault-sender' ? envelopes.get(header.messageId) : undefined;
          if (sent === undefined) unknown.push(key);
          else if (
            !equalBytes(sent.header, received.header) ||
            !equalBytes(sent.payload, received.payload)
          ) {
            altered.push(key);
          }
          if (handedToApplication.has(key)) {
            redeliveries.push(`${key} (delivery count ${delivery.deliveryCount})`);
          } else {
            handedToApplication.set(key, 1);
            if (sent !== undefined && !acknowledged.has(header.messageId)) {
              deliveredUnacknowledged.add(header.messageId);
            }
          }
        }
        try {
          await call(recipient, 'acknowledge', { deliveryId: delivery.deliveryId });
        } catch (err) {
          increment(ackFailures, err instanceof ProofMessengerError ? codeName(err.code) : 'error');
        }
      };

      const missing = () =>
        [...acknowledged].filter((id) => !handedToApplication.has(`fault-sender/${id}`));
      let emptyPolls = 0;
      while (Date.now() < drainDeadline) {
        polls++;
        const { deliveries } = await call(recipient, 'pollMessages', {
          maxMessages: 256,
          waitMs: 1000,
        });
        if (deliveries.length > 0) {
          emptyPolls = 0;
          await forEachLimited(deliveries, 16, receive);
          continue;
        }
        // Done once everything acknowledged arrived and the queue stayed empty for two polls.
        if (missing().length === 0 && ++emptyPolls >= 2) break;
      }
      const lost = missing();
      mark(
        `drained in ${((performance.now() - drainStarted) / 1000).toFixed(1)} s over ${polls} polls: ${rawCount} raw deliveries, ${handedToApplication.size} distinct to the application, ${redeliveries.length} redeliveries, ${lost.length} lost, ${unknown.length} unknown`,
      );

      const retries = Object.fromEntries(retriesByCause);
      const report = {
        sent: TOTAL,
        acknowledged: acknowledged.size,
        answeredDuplicate: Object.fromEntries(duplicateAnswers),
        failed: failures.size,
        attempts,
        retries,
        longestAckGapMs: Object.fromEntries(stalls),
        messagesRetried: retriedIds.size,
        received: handedToApplication.size,
        rawDeliveries: rawCount,
        redeliveries: redeliveries.length,
        deliveredWithoutSenderAck: deliveredUnacknowledged.size,
        ackFailures: Object.fromEntries(ackFailures),
        lost: lost.length,
        unknown: unknown.length,
        altered: altered.length,
        sendSeconds: Number(sendSeconds.toFixed(1)),
      };
      console.log(`[durability] ${JSON.stringify(report)}`);
      if (failures.size > 0) {
        console.log(
          `[durability] failed sends (first 5): ${[...failures.values()].slice(0, 5).join(' | ')}`,
        );
      }
      if (redeliveries.length > 0) {
        console.log(
          `[durability] redeliveries (first 10): ${redeliveries.slice(0, 10).join(', ')}`,
        );
      }

      // Both faults hit a running send: sends went on after each, and the crash cut calls off.
      expect(Object.fromEntries(ackedWhenBack)).toEqual({
        'processor crash': expect.any(Number),
        'NATS restart': expect.any(Number),
      });
      for (const acked of ackedWhenBack.values()) expect(acked).toBeLessThan(TOTAL);
      expect(retriesByCause.get('processor crash: UNAVAILABLE') ?? 0).toBeGreaterThan(0);
      // With retries until the deadline, every send gets through in the end.
      expect([...failures.values()].slice(0, 5)).toEqual([]);
      expect(acknowledged.size).toBe(TOTAL);
      // The durability promise: nothing acknowledged is lost, nothing reaches the application
      // twice, nothing arrives that was not sent, nothing arrives changed.
      expect(lost.slice(0, 10)).toEqual([]);
      expect(unknown.slice(0, 10)).toEqual([]);
      expect(altered.slice(0, 10)).toEqual([]);
      expect([...handedToApplication.values()].every((count) => count === 1)).toBe(true);
      expect(handedToApplication.size).toBe(acknowledged.size + deliveredUnacknowledged.size);
      expect(ep.running && natsServer.running).toBe(true);
    },
    TEST_TIMEOUT_MS,
  );
});
