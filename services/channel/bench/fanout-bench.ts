/**
 * Channel benchmark on the embedded platform (in process, node:sqlite queue with group commit),
 * through the SDK and the real service:
 *
 * - for 10, 100 and 1,000 members and each encryption scheme, M messages are published one after
 *   another; reported: publish latency (p50 / p99 of the publisher's call) and fanout deliveries/s
 *   (copies stored in members' queues per second, from the first publish until the last member
 *   holds every message);
 *   - `sender-keys` (the default): ChannelClient.publish — one envelope per message under the
 *     publisher's epoch sender key;
 *   - `per-message-kem`: every message encrypted to every member's KEM key, in envelopes of 32
 *     members each (what the alternative scheme costs; the service routes each to its 32 members);
 * - the ceiling measured in the same run: raw enqueue of the same number of copies straight into
 *   the queue, 256 at a time; the fanout rate is reported as a ratio of it;
 * - the cost of a membership change: a new member subscribes, then the next publish, which sends
 *   the new epoch's sender key to every member.
 *
 * Usage: pnpm bench:channels [--sizes 10,100,1000] [--messages 20]
 * Prints a table, then one JSON line (`{"bench":"channels",...}`).
 * Caveat: publisher, service and queue share this machine's 2 cores.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { AgentKeys, ChannelClient, MemoryKeyStore } from '@proof-messenger/client-sdk';
import { type KemRecipient, nativeProvider, newSenderKey, utf8 } from '@proof-messenger/crypto';
import { ChannelPolicy, ChannelService } from '@proof-messenger/proto';
import {
  CHANNEL_KEY_CONTENT_TYPE,
  sealChannelEnvelope,
  sealEnvelope,
} from '@proof-messenger/protocol';
import { PromiseClient, silentLogger } from '@proof-messenger/rpc';
import { createPlatform, loadPlatformConfig } from '../../platform/src/index.ts';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '10,100,1000' },
    messages: { type: 'string', default: '20' },
  },
});
const sizes = (values.sizes ?? '10,100,1000').split(',').map(Number);
const messages = Number(values.messages);
const provider = nativeProvider;

const dataDir = mkdtempSync(join(tmpdir(), 'pm-bench-channels-'));
const platform = await createPlatform(
  loadPlatformConfig({ PM_DATA_DIR: dataDir, PM_GRPC_PORT: '0' }),
  {
    provider,
    log: silentLogger,
  },
);
const address = `127.0.0.1:${await platform.start()}`;
const queue = platform.envelopeProcessor.context.queue;
const raw = new PromiseClient(ChannelService, address);
let sequence = 0;

function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}
const round = (value: number, digits = 1) => Number(value.toFixed(digits));

interface Member {
  readonly keys: AgentKeys;
  readonly channels: ChannelClient;
  recipient?: KemRecipient;
}

async function agent(name: string): Promise<Member> {
  const keys = await AgentKeys.open({
    address,
    agentId: `${name}-${process.pid}-${sequence++}`,
    keyStore: new MemoryKeyStore({ provider }),
    provider,
  });
  await keys.register();
  return { keys, channels: ChannelClient.create({ keys, address, provider }) };
}

/** Copies held by `agentId` (ready or in flight, any priority). */
async function held(agentId: string): Promise<number> {
  const s = await queue.stats(agentId);
  return s.ready.low + s.ready.normal + s.ready.high + s.ready.critical + s.inFlight;
}

async function untilHeld(agentId: string, count: number): Promise<void> {
  const deadline = Date.now() + 120_000;
  while ((await held(agentId)) < count) {
    if (Date.now() > deadline) throw new Error(`${agentId} never held ${count} copies`);
    await sleep(5);
  }
}

/** Empties members' queues between runs so counts start from zero. */
async function drain(members: readonly Member[]): Promise<void> {
  for (const m of members) {
    for (;;) {
      const { deliveries } = await queue.receive(
        m.keys.agentId,
        { max: 250, waitMs: 0 },
        Date.now(),
      );
      if (deliveries.length === 0) break;
      for (const d of deliveries) await queue.ack(m.keys.agentId, d.deliveryId, Date.now());
    }
  }
}

interface Row {
  readonly members: number;
  readonly scheme: 'sender-keys' | 'per-message-kem';
  readonly publishP50Ms: number;
  readonly publishP99Ms: number;
  readonly deliveriesPerSec: number;
  readonly ceilingPerSec: number;
  readonly ratio: number;
  readonly envelopeBytes: number;
}

/** Raw enqueue of `copies` channel copies, 256 at a time: the queue's ceiling for the fanout. */
async function ceiling(members: readonly Member[], copies: number): Promise<number> {
  const body = new Uint8Array(1200);
  const start = performance.now();
  let n = 0;
  while (n < copies) {
    const batch = Array.from({ length: Math.min(256, copies - n) }, (_, i) => {
      const member = members[(n + i) % members.length] as Member;
      return queue.enqueue(
        {
          messageId: crypto.randomUUID(),
          senderId: 'bench-ceiling',
          recipientId: member.keys.agentId,
          priority: 2,
          expiresAtMs: Date.now() + 3_600_000,
          body,
          kind: 'channel',
        },
        Date.now(),
      );
    });
    await Promise.all(batch);
    n += batch.length;
  }
  const perSec = copies / ((performance.now() - start) / 1000);
  await drain(members);
  return perSec;
}

const rows: Row[] = [];
const changes: { members: number; subscribeMs: number; nextPublishMs: number; keysSent: number }[] =
  [];

for (const size of sizes) {
  const owner = await agent('owner');
  const channelId = `bench-${size}-${process.pid}`;
  await owner.channels.create({ channelId, policy: ChannelPolicy.OPEN });
  const members: Member[] = [];
  for (let i = 0; i < size; i += 25) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(25, size - i) }, () => agent('m')),
    );
    for (const m of batch) {
      await m.channels.subscribe(channelId);
      const [record] = await m.keys.keyStore.list({ kind: 'channel-member', peerId: channelId });
      const pair = await m.keys.keyStore.loadKemKeyPair(record?.keyId ?? '');
      m.recipient = { keyId: pair.keyId, publicKey: pair.publicKey };
    }
    members.push(...batch);
  }
  const last = [...members]
    .sort((a, b) => (a.keys.agentId < b.keys.agentId ? -1 : 1))
    .at(-1) as Member;
  const copies = size * messages;
  const queueCeiling = await ceiling(members, copies);

  // sender keys: the first publish also distributes the epoch's sender key (not timed here).
  await owner.channels.publish(channelId, 'warm-up: sends the sender key');
  await untilHeld(last.keys.agentId, 2);
  await drain(members);
  const latencies: number[] = [];
  const began = performance.now();
  for (let i = 0; i < messages; i++) {
    const start = performance.now();
    await owner.channels.publish(channelId, utf8('x'.repeat(1024)));
    latencies.push(performance.now() - start);
  }
  await untilHeld(last.keys.agentId, messages);
  const senderRate = copies / ((performance.now() - began) / 1000);
  // The size of one such envelope, sealed the same way the SDK does.
  const sample = await sealChannelEnvelope(
    provider,
    owner.keys.signer,
    { senderId: owner.keys.agentId, channelId, channelEpoch: 1n },
    newSenderKey(provider),
    utf8('x'.repeat(1024)),
  );
  const envelopeBytes = sample.header.length + sample.payload.length;
  rows.push({
    members: size,
    scheme: 'sender-keys',
    publishP50Ms: round(percentile(latencies, 50), 2),
    publishP99Ms: round(percentile(latencies, 99), 2),
    deliveriesPerSec: round(senderRate),
    ceilingPerSec: round(queueCeiling),
    ratio: round(senderRate / queueCeiling, 2),
    envelopeBytes,
  });
  await drain(members);

  // per-message KEM: each message as envelopes to 32 members each, published like distributions.
  const authorization = await owner.keys.client.authorization();
  const epoch = (await owner.channels.get(channelId)).epoch;
  const kemLatencies: number[] = [];
  let kemBytes = 0;
  const kemBegan = performance.now();
  for (let i = 0; i < messages; i++) {
    const start = performance.now();
    for (let j = 0; j < members.length; j += 32) {
      const envelope = await sealEnvelope(
        provider,
        owner.keys.signer,
        {
          senderId: owner.keys.agentId,
          channelId,
          channelEpoch: epoch,
          contentType: CHANNEL_KEY_CONTENT_TYPE,
        },
        members.slice(j, j + 32).map((m) => m.recipient as KemRecipient),
        utf8('x'.repeat(1024)),
      );
      if (i === 0 && j === 0) kemBytes = envelope.header.length + envelope.payload.length;
      await raw.call('publish', { envelope }, { metadata: { authorization } });
    }
    kemLatencies.push(performance.now() - start);
  }
  await untilHeld(last.keys.agentId, messages);
  const kemRate = copies / ((performance.now() - kemBegan) / 1000);
  rows.push({
    members: size,
    scheme: 'per-message-kem',
    publishP50Ms: round(percentile(kemLatencies, 50), 2),
    publishP99Ms: round(percentile(kemLatencies, 99), 2),
    deliveriesPerSec: round(kemRate),
    ceilingPerSec: round(queueCeiling),
    ratio: round(kemRate / queueCeiling, 2),
    envelopeBytes: kemBytes,
  });
  await drain(members);

  // A membership change: one more member, then the publish that re-keys the new epoch.
  const newcomer = await agent('newcomer');
  const joinStart = performance.now();
  await newcomer.channels.subscribe(channelId);
  const subscribeMs = performance.now() - joinStart;
  const publishStart = performance.now();
  const rekeyed = await owner.channels.publish(channelId, 'after a join');
  changes.push({
    members: size,
    subscribeMs: round(subscribeMs, 2),
    nextPublishMs: round(performance.now() - publishStart, 2),
    keysSent: rekeyed.keysDistributed,
  });
  await drain([...members, newcomer]);
  for (const m of [owner, newcomer, ...members]) {
    m.channels.close();
    m.keys.close();
  }
}

raw.close();
await platform.destroy();
rmSync(dataDir, { recursive: true, force: true });

console.log(
  `Channel fanout (embedded platform, node ${process.version}, ${messages} messages of 1 KiB per run)`,
);
console.log(
  'members  scheme            publish p50/p99 ms   deliveries/s   queue ceiling/s   ratio   envelope bytes',
);
for (const r of rows) {
  console.log(
    `${String(r.members).padStart(7)}  ${r.scheme.padEnd(16)}  ${`${r.publishP50Ms} / ${r.publishP99Ms}`.padStart(18)}   ${String(r.deliveriesPerSec).padStart(12)}   ${String(r.ceilingPerSec).padStart(15)}   ${String(r.ratio).padStart(5)}   ${String(r.envelopeBytes).padStart(14)}`,
  );
}
console.log(
  'membership change: members  subscribe ms  next publish ms (re-keys the epoch)  keys sent',
);
for (const c of changes) {
  console.log(
    `${String(c.members).padStart(26)}  ${String(c.subscribeMs).padStart(12)}  ${String(c.nextPublishMs).padStart(34)}  ${String(c.keysSent).padStart(9)}`,
  );
}
console.log(
  JSON.stringify({ bench: 'channels', messages, runs: rows, membershipChanges: changes }),
);
