/**
 * Direct messaging end to end, through the SDK, against real processes in both deployments: the
 * embedded platform (one process, node:sqlite) and the distributed services (key-management and
 * envelope-processor processes over PostgreSQL, Redis and NATS JetStream). The same scenarios run
 * against both: direct message with a verified receipt, signed cleartext, request/response,
 * priorities, TTL expiry notice, redelivery after a missed ack, dead-letter notice, offline
 * recipient, duplicate suppression, and the SDK on the noble provider.
 *
 * Every agent id is unique per run, so scenarios never see each other's messages.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  AgentClient,
  AgentKeys,
  type DeliveryNotice,
  type InboundItem,
  type InvalidDelivery,
  MemoryKeyStore,
  type ReceivedMessage,
} from '@proof-messenger/client-sdk';
import { type CryptoProvider, nativeProvider, nobleProvider, utf8 } from '@proof-messenger/crypto';
import { EnvelopeProcessorService, Priority } from '@proof-messenger/proto';
import { sealEnvelope } from '@proof-messenger/protocol';
import { requireNats } from '@proof-messenger/queue/testing';
import { PromiseClient } from '@proof-messenger/rpc';
import { requireServices } from '@proof-messenger/storage/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Deployment,
  type DeploymentMode,
  startDistributed,
  startEmbedded,
} from './support/deployment.ts';

const backends = await requireServices(['postgres', 'redis']);
const nats = await requireNats();
const distributedSkip = !backends.available ? backends.reason : !nats.available ? nats.reason : '';
if (distributedSkip !== '') {
  console.warn(`skipping distributed end-to-end messaging: ${distributedSkip}`);
}

interface TestAgent {
  readonly id: string;
  readonly keys: AgentKeys;
  readonly client: AgentClient;
  readonly invalid: InvalidDelivery[];
}

function asMessage(item: InboundItem | undefined): ReceivedMessage {
  if (item?.kind !== 'message') throw new Error(`expected a message, got ${item?.kind}`);
  return item;
}

function asNotice(item: InboundItem | undefined): DeliveryNotice {
  if (item === undefined || item.kind === 'message') {
    throw new Error(`expected a notice, got ${item?.kind}`);
  }
  return item;
}

/** Items from `agent` until `count` arrived or `withinMs` passed (none acknowledged here). */
async function take(agent: TestAgent, count: number, withinMs: number): Promise<InboundItem[]> {
  const items: InboundItem[] = [];
  if (count === 0) return items;
  const signal = AbortSignal.timeout(withinMs);
  for await (const item of agent.client.receive({ signal, waitMs: 250 })) {
    items.push(item);
    if (items.length === count) break;
  }
  return items;
}

const MODES: readonly { mode: DeploymentMode; skip: string }[] = [
  { mode: 'embedded', skip: '' },
  { mode: 'distributed', skip: distributedSkip },
];

describe.each(MODES)('messaging end to end ($mode)', ({ mode, skip }) => {
  let deployment: Deployment;
  const clients: AgentClient[] = [];
  const keyRings: AgentKeys[] = [];
  const queues: PromiseClient<typeof EnvelopeProcessorService>[] = [];

  beforeAll(async () => {
    if (skip !== '') return;
    deployment = mode === 'embedded' ? await startEmbedded() : await startDistributed();
  }, 60_000);

  afterAll(async () => {
    for (const client of clients) client.close();
    for (const keys of keyRings) keys.close();
    for (const queue of queues) queue.close();
    await deployment?.close();
  }, 60_000);

  async function agent(name: string, provider: CryptoProvider = nativeProvider) {
    const id = `${name}-${randomUUID().slice(0, 8)}`;
    const keyStore = new MemoryKeyStore({ provider });
    const keys = await AgentKeys.open({
      address: deployment.keyManagementAddress,
      agentId: id,
      keyStore,
      provider,
      prekeys: { lowWater: 2, target: 4 },
    });
    await keys.register(await deployment.enrollmentFor(id));
    await keys.ensurePrekeys();
    const invalid: InvalidDelivery[] = [];
    const client = AgentClient.create({
      keys,
      address: deployment.envelopeProcessorAddress,
      provider,
      onInvalid: (delivery) => invalid.push(delivery),
    });
    clients.push(client);
    keyRings.push(keys);
    return { id, keys, client, invalid };
  }

  /** Another client for the same agent: what an agent process restarted after a crash has. */
  function secondClient(of: TestAgent): TestAgent {
    const client = AgentClient.create({
      keys: of.keys,
      address: deployment.envelopeProcessorAddress,
      provider: nativeProvider,
    });
    clients.push(client);
    return { ...of, client, invalid: [] };
  }

  /** The agent's queue as the envelope processor reports it. */
  async function queueState(of: TestAgent) {
    const queue = new PromiseClient(EnvelopeProcessorService, deployment.envelopeProcessorAddress);
    queues.push(queue);
    return queue.call(
      'getQueueState',
      {},
      { metadata: { authorization: await of.keys.client.authorization() } },
    );
  }

  it.skipIf(skip !== '')(
    'delivers a direct message, and the sender gets a verified receipt',
    async () => {
      const alice = await agent('alice');
      const bob = await agent('bob');
      const sent = await alice.client.send(bob.id, 'hello bob');
      expect(sent.duplicate).toBe(false);

      const [item] = await take(bob, 1, 10_000);
      const message = asMessage(item);
      expect(message.messageId).toBe(sent.messageId);
      expect(message.senderId).toBe(alice.id);
      expect(message.cleartext).toBe(false);
      expect(message.deliveryCount).toBe(1);
      expect(message.text()).toBe('hello bob');
      await message.ack();

      const notice = asNotice((await take(alice, 1, 10_000))[0]);
      expect(notice.kind).toBe('delivered');
      expect(notice.messageId).toBe(sent.messageId);
      expect(notice.recipientId).toBe(bob.id);
      expect(notice.receiptVerified).toBe(true);
      expect(notice.receipt?.messageId).toBe(sent.messageId);
      await notice.ack();
      expect(alice.invalid).toEqual([]);
      expect(bob.invalid).toEqual([]);
    },
  );

  it.skipIf(skip !== '')('delivers signed cleartext as signed and readable', async () => {
    const alice = await agent('alice');
    const bob = await agent('bob');
    await alice.client.send(bob.id, 'inspect me, do not change me', { cleartext: true });
    const message = asMessage((await take(bob, 1, 10_000))[0]);
    expect(message.cleartext).toBe(true);
    expect(message.text()).toBe('inspect me, do not change me');
    await message.ack();
  });

  it.skipIf(skip !== '')(
    'answers a request with the reply carrying its correlation id',
    async () => {
      const asker = await agent('asker');
      const answerer = await agent('answerer');
      const answering = (async () => {
        const request = asMessage((await take(answerer, 1, 10_000))[0]);
        await answerer.client.reply(request, `answer to: ${request.text()}`);
        await request.ack();
        return request;
      })();
      const reply = await asker.client.request(answerer.id, 'what is 6 x 7?', {
        timeoutMs: 10_000,
      });
      const request = await answering;
      expect(reply.text()).toBe('answer to: what is 6 x 7?');
      expect(reply.senderId).toBe(answerer.id);
      expect(reply.correlationId).toBe(request.correlationId);
      expect(request.correlationId).not.toBe('');
      await reply.ack();
    },
  );

  it.skipIf(skip !== '')(
    'queues for an offline recipient and delivers highest priority first',
    async () => {
      const sender = await agent('sender');
      const offline = await agent('offline');
      for (let i = 0; i < 6; i++) await sender.client.send(offline.id, `normal ${i}`);
      await sender.client.send(offline.id, 'low', { priority: Priority.LOW });
      await sender.client.send(offline.id, 'high', { priority: Priority.HIGH });
      await sender.client.send(offline.id, 'critical', { priority: Priority.CRITICAL });

      // The recipient comes online only now, with a client that never polled before.
      const items = await take(offline, 9, 15_000);
      const texts = items.map((item) => asMessage(item).text());
      expect(texts).toEqual([
        'critical',
        'high',
        'normal 0',
        'normal 1',
        'normal 2',
        'normal 3',
        'normal 4',
        'normal 5',
        'low',
      ]);
      for (const item of items) await item.ack();
      const state = await queueState(offline);
      expect(state.ready).toEqual(
        expect.objectContaining({ low: 0, normal: 0, high: 0, critical: 0 }),
      );
    },
  );

  it.skipIf(skip !== '')(
    'never delivers a message past its TTL and tells the sender it expired',
    async () => {
      const sender = await agent('sender');
      const away = await agent('away');
      const sent = await sender.client.send(away.id, 'only for a second', { ttlSeconds: 1 });

      const notice = asNotice((await take(sender, 1, 15_000))[0]);
      expect(notice.kind).toBe('expired');
      expect(notice.messageId).toBe(sent.messageId);
      expect(notice.recipientId).toBe(away.id);
      await notice.ack();
      expect(await take(away, 1, 1500)).toEqual([]);
    },
  );

  it.skipIf(skip !== '')(
    'redelivers a message whose ack was missed to a restarted client',
    async () => {
      const sender = await agent('sender');
      const crashy = await agent('crashy');
      const sent = await sender.client.send(crashy.id, 'ack me this time');
      const first = asMessage((await take(crashy, 1, 10_000))[0]);
      expect(first.deliveryCount).toBe(1);
      crashy.client.close(); // the agent process dies before it acknowledges

      const restarted = secondClient(crashy);
      const again = asMessage((await take(restarted, 1, deployment.ackWaitMs + 10_000))[0]);
      expect(again.messageId).toBe(sent.messageId);
      expect(again.deliveryCount).toBe(2);
      expect(again.text()).toBe('ack me this time');
      await again.ack();
      const notice = asNotice((await take(sender, 1, 10_000))[0]);
      expect(notice.kind).toBe('delivered');
      expect(notice.receiptVerified).toBe(true);
    },
  );

  it.skipIf(skip !== '')(
    'dead-letters a message after five failed deliveries and tells the sender',
    async () => {
      const sender = await agent('sender');
      const refuser = await agent('refuser');
      const sent = await sender.client.send(refuser.id, 'nobody can handle me');
      const counts: number[] = [];
      const signal = AbortSignal.timeout(20_000);
      for await (const item of refuser.client.receive({ signal, waitMs: 250 })) {
        const message = asMessage(item);
        counts.push(message.deliveryCount);
        await message.nack(0);
        if (counts.length === 5) break;
      }
      expect(counts).toEqual([1, 2, 3, 4, 5]);

      // Receiving goes on without the message (JetStream moves it to the dead letters when its
      // recipient next receives, see docs/queues.md); it is kept with the dead letters.
      expect(await take(refuser, 1, 1500)).toEqual([]);
      const notice = asNotice((await take(sender, 1, 15_000))[0]);
      expect(notice.kind).toBe('dead-lettered');
      expect(notice.messageId).toBe(sent.messageId);
      await notice.ack();
      const state = await queueState(refuser);
      expect(state.deadLettered).toBe(1);
      expect(state.inFlight).toBe(0);
    },
  );

  it.skipIf(skip !== '')(
    'shows the application a message once however often it arrives',
    async () => {
      const sender = await agent('sender');
      const receiver = await agent('receiver');
      // The same envelope sent twice (a client retry after a lost answer): stored once.
      const prekeyRecord = (await receiver.keys.keyStore.list({ kind: 'signed-prekey' }))[0];
      if (prekeyRecord === undefined) throw new Error('the receiver has no signed prekey');
      const prekey = await receiver.keys.keyStore.loadKemKeyPair(prekeyRecord.keyId);
      const envelope = await sealEnvelope(
        nativeProvider,
        sender.keys.signer,
        { senderId: sender.id, recipientId: receiver.id, createdAtMs: Date.now() },
        [{ keyId: prekey.keyId, publicKey: prekey.publicKey }],
        utf8('said twice'),
      );
      const first = await sender.client.sendEnvelope(envelope);
      const second = await sender.client.sendEnvelope(envelope);
      expect(second).toEqual({ ...first, duplicate: true });

      // The receiver holds it past the ack wait while it keeps receiving: the queue hands it out
      // again, and the client holds that copy back and settles it with the one ack.
      const received: InboundItem[] = [];
      const stop = new AbortController();
      const receiving = (async () => {
        for await (const item of receiver.client.receive({ signal: stop.signal, waitMs: 250 })) {
          received.push(item);
        }
      })();
      const deadline = Date.now() + 10_000;
      while (received.length === 0 && Date.now() < deadline) await sleep(50);
      await sleep(deployment.ackWaitMs * 2 + 500);
      const message = asMessage(received[0]);
      await message.ack();
      await sleep(1000);
      stop.abort();
      await receiving;
      expect(received.map((item) => asMessage(item).text())).toEqual(['said twice']);
      const state = await queueState(receiver);
      expect(state.inFlight).toBe(0);
      expect(state.ready?.normal).toBe(0);
    },
  );

  it.skipIf(skip !== '')(
    'works end to end on the noble provider (pure JavaScript crypto)',
    async () => {
      const alice = await agent('noble-alice', nobleProvider);
      const bob = await agent('noble-bob', nobleProvider);
      const sent = await alice.client.send(bob.id, 'no node:crypto here');
      const message = asMessage((await take(bob, 1, 15_000))[0]);
      expect(message.messageId).toBe(sent.messageId);
      expect(message.text()).toBe('no node:crypto here');
      await message.ack();
      const notice = asNotice((await take(alice, 1, 15_000))[0]);
      expect(notice.kind).toBe('delivered');
      expect(notice.receiptVerified).toBe(true);
    },
    60_000,
  );
});
