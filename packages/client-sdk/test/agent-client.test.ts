/**
 * AgentClient against the real services on loopback (embedded mode): key-management through the
 * service harness and the envelope processor on its SQLite queue. Covers the round trip with a
 * verified receipt, request/reply, wire-level duplicates, priorities, forged envelopes, request
 * timeouts, and batched sends (SendMessages) with per-envelope answers and retries.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create, toBinary } from '@bufbuild/protobuf';
import { CompositeSigner, nativeProvider, utf8 } from '@proof-messenger/crypto';
import {
  Code,
  KeyUnknownError,
  ProofMessengerError,
  Reason,
  UnavailableError,
} from '@proof-messenger/errors';
import {
  type Envelope,
  EnvelopeSchema,
  Priority,
  type SendMessagesResponse,
  SendMessagesResultSchema,
} from '@proof-messenger/proto';
import { parseEnvelope, sealEnvelope } from '@proof-messenger/protocol';
import { type RpcTransport, silentLogger, toStatus, transportFor } from '@proof-messenger/rpc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../services/envelope-processor/src/config.ts';
import {
  createEnvelopeProcessorServer,
  type EnvelopeProcessorServer,
} from '../../../services/envelope-processor/src/envelope-processor-server.ts';
import {
  type Harness,
  startHarness,
} from '../../../services/key-management/test/service-harness.ts';
import {
  AgentClient,
  AgentKeys,
  type DeliveryNotice,
  type InboundItem,
  type InvalidDelivery,
  MemoryKeyStore,
  type ReceivedMessage,
  RequestTimeoutError,
} from '../src/index.ts';

const provider = nativeProvider;

interface TestAgent {
  readonly keys: AgentKeys;
  readonly keyStore: MemoryKeyStore;
  readonly client: AgentClient;
  readonly invalid: InvalidDelivery[];
}

describe('AgentClient (embedded)', () => {
  let kms: Harness;
  let dataDir: string;
  let ep: EnvelopeProcessorServer;
  let address: string;
  const agents: TestAgent[] = [];

  beforeAll(async () => {
    kms = await startHarness('embedded', { PM_OPEN_REGISTRATION: 'loopback' });
    dataDir = mkdtempSync(join(tmpdir(), 'pm-sdk-'));
    const config = loadConfig({
      PM_GRPC_PORT: '0',
      PM_DATA_DIR: dataDir,
      ...kms.peerEnv(),
      PM_KEY_CACHE_TTL_MS: '0',
      PM_ACK_WAIT_MS: '10000',
      PM_REDELIVERY_BACKOFF_MS: '100',
    });
    ep = await createEnvelopeProcessorServer(config, {
      provider,
      now: kms.clock.now,
      log: silentLogger,
      housekeepingIntervalMs: 0,
    });
    address = `127.0.0.1:${await ep.start()}`;
  });

  afterAll(async () => {
    for (const agent of agents) {
      agent.client.close();
      agent.keys.close();
    }
    await ep.destroy();
    await kms.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function agent(agentId: string): Promise<TestAgent> {
    const keyStore = new MemoryKeyStore({ provider });
    const keys = await AgentKeys.open({
      address: kms.address,
      agentId,
      keyStore,
      provider,
      now: kms.clock.now,
      prekeys: { lowWater: 2, target: 5 },
    });
    await keys.register();
    await keys.ensurePrekeys();
    const invalid: InvalidDelivery[] = [];
    const client = AgentClient.create({
      keys,
      keyStore,
      address,
      provider,
      now: kms.clock.now,
      onInvalid: (delivery) => invalid.push(delivery),
    });
    const made = { keys, keyStore, client, invalid };
    agents.push(made);
    return made;
  }

  /** Receives until `count` items arrived or nothing more comes within one short poll. */
  async function take(who: TestAgent, count: number, waitMs = 300): Promise<InboundItem[]> {
    const items: InboundItem[] = [];
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), 2500);
    try {
      for await (const item of who.client.receive({ signal: controller.signal, waitMs })) {
        items.push(item);
        if (items.length === count) break;
      }
    } finally {
      clearTimeout(timer);
    }
    return items;
  }

  /**
   * Puts `envelope` straight into the recipient's queue, past SendMessage's checks, as a
   * compromised or duplicating relay would; `queueId` is the queue's idempotency id.
   */
  async function inject(envelope: Envelope, queueId = parseEnvelope(envelope).header.messageId) {
    const { header } = parseEnvelope(envelope);
    const recipientId = header.destination.case === 'recipientId' ? header.destination.value : '';
    await ep.context.queue.enqueue(
      {
        messageId: queueId,
        senderId: header.senderId,
        recipientId,
        priority: 2,
        expiresAtMs: kms.clock.now() + 60_000,
        body: toBinary(EnvelopeSchema, envelope),
        kind: 'envelope',
      },
      kms.clock.now(),
    );
  }

  function asMessage(item: InboundItem | undefined): ReceivedMessage {
    if (item?.kind !== 'message') throw new Error(`expected a message, got ${item?.kind}`);
    return item;
  }

  function asNotice(item: InboundItem | undefined): DeliveryNotice {
    if (item === undefined || item.kind === 'message')
      throw new Error(`expected a notice, got ${item?.kind}`);
    return item;
  }

  it('sends, receives, acks, and the sender gets a delivered notice with a verified receipt', async () => {
    const alice = await agent('alice');
    const bob = await agent('bob');
    const oneTimeBefore = (await bob.keyStore.list({ kind: 'one-time-prekey' })).length;
    const sent = await alice.client.send('bob', 'hello bob', { contentType: 'text/plain' });
    expect(sent.duplicate).toBe(false);

    const [item] = await take(bob, 1);
    const message = asMessage(item);
    expect(message.messageId).toBe(sent.messageId);
    expect(message.senderId).toBe('alice');
    expect(message.text()).toBe('hello bob');
    expect(message.contentType).toBe('text/plain');
    expect(message.cleartext).toBe(false);
    await message.ack();
    // The one-time prekey the message was encrypted to is gone once the message is settled.
    expect((await bob.keyStore.list({ kind: 'one-time-prekey' })).length).toBe(oneTimeBefore - 1);

    const notice = asNotice((await take(alice, 1))[0]);
    expect(notice.kind).toBe('delivered');
    expect(notice.messageId).toBe(sent.messageId);
    expect(notice.recipientId).toBe('bob');
    expect(notice.receiptVerified).toBe(true);
    expect(notice.receipt?.recipientId).toBe('bob');
    await notice.ack();
    expect(await take(alice, 1, 100)).toEqual([]);
    expect(alice.invalid).toEqual([]);
    expect(bob.invalid).toEqual([]);
  });

  it('delivers signed cleartext as signed', async () => {
    const cleo = await agent('cleo');
    const dan = await agent('dan');
    await cleo.client.send('dan', 'I approve PO-7', { cleartext: true });
    const message = asMessage((await take(dan, 1))[0]);
    expect(message.cleartext).toBe(true);
    expect(message.text()).toBe('I approve PO-7');
    await message.ack();
  });

  it('answers a request with a reply carrying the same correlation id', async () => {
    const client = await agent('carol');
    const server = await agent('server');
    // Something unrelated arrives first: the request must leave it for receive.
    await server.client.send('carol', 'unrelated');

    const serving = (async () => {
      const request = asMessage((await take(server, 1))[0]);
      expect(request.text()).toBe('what is 6 x 7?');
      expect(request.correlationId).not.toBe('');
      await server.client.reply(request, '42');
      await request.ack();
      return request.correlationId;
    })();
    const reply = await client.client.request('server', 'what is 6 x 7?', { timeoutMs: 10_000 });
    const correlationId = await serving;
    expect(reply.text()).toBe('42');
    expect(reply.senderId).toBe('server');
    expect(reply.correlationId).toBe(correlationId);
    await reply.ack();

    const later = await take(client, 3, 200);
    const messages = later.filter((item) => item.kind === 'message');
    expect(messages.map((item) => asMessage(item).text())).toEqual(['unrelated']);
    for (const item of later) await item.ack();
  });

  it('retries an unreachable processor with backoff, then fails with UNAVAILABLE', async () => {
    const nora = await agent('nora');
    const unreachable = AgentClient.create({
      keys: nora.keys,
      keyStore: nora.keyStore,
      address: '127.0.0.1:1',
      provider,
      now: kms.clock.now,
      retry: { attempts: 4, initialDelayMs: 40, maxDelayMs: 80 },
    });
    const started = Date.now();
    const error = await unreachable.send('nora', 'into the void', { cleartext: true }).then(
      () => undefined,
      (e: unknown) => e,
    );
    unreachable.close();
    expect((error as { code?: number }).code).toBe(Code.UNAVAILABLE);
    // Three waits between four attempts: 40 + 80 + 80 ms.
    expect(Date.now() - started).toBeGreaterThanOrEqual(200);
  });

  it("waits out a rate limit's retry-after before retrying a send, and leaves a longer one to the caller", async () => {
    const limitedDir = mkdtempSync(join(tmpdir(), 'pm-sdk-limited-'));
    const limited = await createEnvelopeProcessorServer(
      loadConfig({
        PM_GRPC_PORT: '0',
        PM_DATA_DIR: limitedDir,
        ...kms.peerEnv(),
        PM_KEY_CACHE_TTL_MS: '0',
        // One token, refilled every 500 ms.
        PM_RATE_LIMITS: 'send=2/s:1',
      }),
      { provider, now: kms.clock.now, log: silentLogger, housekeepingIntervalMs: 0 },
    );
    const limitedAddress = `127.0.0.1:${await limited.start()}`;
    const pia = await agent('rl-pia');
    await agent('rl-quin');
    const clientWith = (maxDelayMs: number) =>
      AgentClient.create({
        keys: pia.keys,
        keyStore: pia.keyStore,
        address: limitedAddress,
        provider,
        now: kms.clock.now,
        retry: { attempts: 3, initialDelayMs: 10, maxDelayMs },
      });
    const patient = clientWith(2000);
    const impatient = clientWith(100);
    try {
      await patient.send('rl-quin', 'first', { cleartext: true });
      // The bucket is empty now. Retries 10 and 20 ms apart would all be refused; waiting out
      // the hint (~500 ms) lets the second attempt pass.
      expect((await patient.send('rl-quin', 'second', { cleartext: true })).duplicate).toBe(false);
      // Empty again, and the hint is longer than this client's longest wait: thrown at once
      // (a retry after the hint would have passed).
      const error = await impatient.send('rl-quin', 'third', { cleartext: true }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(ProofMessengerError);
      const refused = error as ProofMessengerError;
      expect([refused.code, refused.reason]).toEqual([
        Code.RESOURCE_EXHAUSTED,
        Reason.RATE_LIMITED,
      ]);
      expect(refused.retryAfterMs).toBeGreaterThan(100);
    } finally {
      patient.close();
      impatient.close();
      await limited.destroy();
      rmSync(limitedDir, { recursive: true, force: true });
    }
  });

  it('rejects a request nobody answers with RequestTimeoutError', async () => {
    const ed = await agent('ed');
    await agent('silent');
    const error = await ed.client.request('silent', 'anyone?', { timeoutMs: 300 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(RequestTimeoutError);
    expect((error as RequestTimeoutError).code).toBe(Code.DEADLINE_EXCEEDED);
    expect((error as RequestTimeoutError).message).toMatch(
      /^no reply from silent to request [0-9a-f-]{36} within 300 ms$/,
    );
  });

  it('shows the application an envelope sent twice on the wire once', async () => {
    const fred = await agent('fred');
    const gina = await agent('gina');
    const bundle = await fred.keys.client.call('fetchPrekeyBundle', { agentId: 'gina' });
    expect(bundle.signedPrekey).toBeDefined();
    const prekeyRecord = (await gina.keyStore.list({ kind: 'signed-prekey' }))[0];
    if (prekeyRecord === undefined) throw new Error('gina has no signed prekey');
    const prekey = await gina.keyStore.loadKemKeyPair(prekeyRecord.keyId);
    const envelope = await sealEnvelope(
      provider,
      fred.keys.signer,
      { senderId: 'fred', recipientId: 'gina', createdAtMs: kms.clock.now() },
      [{ keyId: prekey.keyId, publicKey: prekey.publicKey }],
      utf8('once only'),
    );
    const first = await fred.client.sendEnvelope(envelope);
    const second = await fred.client.sendEnvelope(envelope);
    expect(first.duplicate).toBe(false);
    expect(second).toEqual({ ...first, duplicate: true });

    const items = await take(gina, 2, 300);
    expect(items.map((item) => asMessage(item).text())).toEqual(['once only']);
    await items[0]?.ack();
    expect((await fred.client.sendEnvelope(envelope)).duplicate).toBe(true);
    expect(await take(gina, 1, 200)).toEqual([]);
  });

  it('yields a message delivered twice by the queue once, and settles both copies with one ack', async () => {
    const lena = await agent('lena');
    const milo = await agent('milo');
    const prekeyRecord = (await milo.keyStore.list({ kind: 'signed-prekey' }))[0];
    if (prekeyRecord === undefined) throw new Error('milo has no signed prekey');
    const prekey = await milo.keyStore.loadKemKeyPair(prekeyRecord.keyId);
    const envelope = await sealEnvelope(
      provider,
      lena.keys.signer,
      { senderId: 'lena', recipientId: 'milo', createdAtMs: kms.clock.now() },
      [{ keyId: prekey.keyId, publicKey: prekey.publicKey }],
      utf8('said twice'),
    );
    // Two queue entries (the second under another queue id) holding the same envelope: the
    // queue's idempotency does not apply, so only the client's duplicate suppression keeps the
    // application from seeing it twice.
    await inject(envelope);
    await inject(envelope, randomUUID());
    const items = await take(milo, 2, 300);
    expect(items.map((item) => asMessage(item).text())).toEqual(['said twice']);
    await items[0]?.ack();
    expect(await ep.context.queue.depth('milo')).toBe(0);

    // A third copy after the ack is acknowledged silently.
    await inject(envelope, randomUUID());
    expect(await take(milo, 1, 300)).toEqual([]);
    expect(await ep.context.queue.depth('milo')).toBe(0);
    expect(milo.invalid).toEqual([]);
  });

  it('receives one batch with once: true and carries the envelope as sent and as received', async () => {
    const lea = await agent('lea');
    const max = await agent('max');
    const first = await lea.client.send('max', 'one', { cleartext: true });
    const second = await lea.client.send('max', 'two');
    const items: InboundItem[] = [];
    for await (const item of max.client.receive({ once: true, waitMs: 0 })) items.push(item);
    const messages = items.map(asMessage);
    expect(messages.map((m) => m.text())).toEqual(['one', 'two']);
    const [one, two] = messages;
    if (one === undefined || two === undefined) throw new Error('expected two messages');
    expect(toBinary(EnvelopeSchema, one.envelope)).toEqual(
      toBinary(EnvelopeSchema, first.envelope),
    );
    expect(toBinary(EnvelopeSchema, two.envelope)).toEqual(
      toBinary(EnvelopeSchema, second.envelope),
    );
    for (const message of messages) await message.ack();
    const none: InboundItem[] = [];
    for await (const item of max.client.receive({ once: true, waitMs: 0 })) none.push(item);
    expect(none).toEqual([]);
  });

  it('yields higher priorities first', async () => {
    const hank = await agent('hank');
    const iris = await agent('iris');
    for (let i = 0; i < 3; i++) await hank.client.send('iris', `normal ${i}`);
    await hank.client.send('iris', 'critical', { priority: Priority.CRITICAL });
    const items = await take(iris, 4);
    expect(items.map((item) => asMessage(item).text())).toEqual([
      'critical',
      'normal 0',
      'normal 1',
      'normal 2',
    ]);
    expect(asMessage(items[0]).priority).toBe(Priority.CRITICAL);
    for (const item of items) await item.ack();
  });

  it('never yields a forged envelope and reports it through onInvalid', async () => {
    const jack = await agent('jack');
    const kate = await agent('kate');
    // A key that is not jack's signs an envelope naming jack as sender and jack's key id.
    const forger = CompositeSigner.fromSeed(provider, new Uint8Array(64).fill(7));
    const prekeyRecord = (await kate.keyStore.list({ kind: 'signed-prekey' }))[0];
    if (prekeyRecord === undefined) throw new Error('kate has no signed prekey');
    const prekey = await kate.keyStore.loadKemKeyPair(prekeyRecord.keyId);
    const forged = await sealEnvelope(
      provider,
      forger,
      { senderId: 'jack', recipientId: 'kate', createdAtMs: kms.clock.now() },
      [{ keyId: prekey.keyId, publicKey: prekey.publicKey }],
      utf8('pay mallory'),
    );
    // The server refuses it: the forger's key is not one of jack's.
    const refused = await jack.client.sendEnvelope(forged).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(refused).toBeDefined();
    // So inject it straight into kate's queue, as a compromised relay would.
    await inject(forged);
    await jack.client.send('kate', 'genuine');

    const items = await take(kate, 2, 300);
    expect(items.map((item) => asMessage(item).text())).toEqual(['genuine']);
    for (const item of items) await item.ack();
    expect(kate.invalid).toHaveLength(1);
    expect(kate.invalid[0]?.senderId).toBe('jack');
    expect(kate.invalid[0]?.error).toBeInstanceOf(KeyUnknownError);
    expect(await take(kate, 1, 200)).toEqual([]);
  });
  /** A transport to the envelope processor that records each call's method and request. */
  function recordingTransport(
    rewrite?: (method: string, request: unknown, call: () => Promise<unknown>) => Promise<unknown>,
  ) {
    const inner = transportFor(address);
    const calls: Array<{ method: string; envelopes: Envelope[] }> = [];
    const transport: RpcTransport = {
      unary: (method, request, options) => {
        const body = request as { envelope?: Envelope; envelopes?: Envelope[] };
        calls.push({
          method: method.name,
          envelopes: body.envelopes ?? (body.envelope === undefined ? [] : [body.envelope]),
        });
        const call = () => inner.unary(method, request, options);
        return (rewrite === undefined ? call() : rewrite(method.name, request, call)) as never;
      },
      close: () => inner.close(),
    };
    return { transport, calls };
  }

  async function sealTo(sender: TestAgent, recipient: TestAgent, text: string): Promise<Envelope> {
    const record = (await recipient.keyStore.list({ kind: 'signed-prekey' }))[0];
    if (record === undefined) throw new Error('no signed prekey');
    const prekey = await recipient.keyStore.loadKemKeyPair(record.keyId);
    return sealEnvelope(
      provider,
      sender.keys.signer,
      {
        senderId: sender.keys.agentId,
        recipientId: recipient.keys.agentId,
        createdAtMs: kms.clock.now(),
      },
      [{ keyId: prekey.keyId, publicKey: prekey.publicKey }],
      utf8(text),
    );
  }

  it('sends envelopes sent together in one SendMessages call, each answered as if sent alone', async () => {
    const wren = await agent('wren');
    const otto = await agent('otto');
    const { transport, calls } = recordingTransport();
    const client = AgentClient.create({ keys: wren.keys, transport, provider, now: kms.clock.now });
    try {
      const good = await Promise.all(['one', 'two', 'three'].map((t) => sealTo(wren, otto, t)));
      const genuine = await sealTo(wren, otto, 'forged');
      const forged = create(EnvelopeSchema, {
        ...genuine,
        payload: new Uint8Array(genuine.payload.length),
      });
      const outcomes = await Promise.allSettled(
        [good[0], forged, good[1], good[2]].map((e) => client.sendEnvelope(e ?? forged)),
      );
      expect(calls.map((c) => [c.method, c.envelopes.length])).toEqual([['SendMessages', 4]]);
      expect(outcomes.map((o) => o.status)).toEqual([
        'fulfilled',
        'rejected',
        'fulfilled',
        'fulfilled',
      ]);
      const refusal = outcomes[1]?.status === 'rejected' ? outcomes[1].reason : undefined;
      const alone = await wren.client.sendEnvelope(forged).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(refusal).toBeInstanceOf(ProofMessengerError);
      expect(alone).toBeInstanceOf(ProofMessengerError);
      const facts = (e: unknown) => {
        const { code, reason, message, field, retryable } = e as ProofMessengerError;
        return { code, reason, message, field, retryable };
      };
      expect(facts(refusal)).toEqual(facts(alone));
      expect(facts(refusal)).toMatchObject({
        code: Code.INVALID_ARGUMENT,
        reason: Reason.SIGNATURE_INVALID,
      });
      expect(
        outcomes.flatMap((o) => (o.status === 'fulfilled' ? [o.value.messageId] : [])),
      ).toEqual(good.map((e) => parseEnvelope(e).header.messageId));

      // A lone envelope takes SendMessage.
      await client.sendEnvelope(await sealTo(wren, otto, 'four'));
      expect(calls.map((c) => c.method)).toEqual(['SendMessages', 'SendMessage']);

      const items = await take(otto, 5, 300);
      expect(items.map((item) => asMessage(item).text()).sort()).toEqual([
        'four',
        'one',
        'three',
        'two',
      ]);
      for (const item of items) await item.ack();
    } finally {
      client.close();
      transport.close();
    }
  });

  it('retries a retryable item failure of a batch with the same envelope, and stores it once', async () => {
    const pia = await agent('pia');
    const quill = await agent('quill');
    let failed = false;
    // The first SendMessages call drops its second envelope and answers it UNAVAILABLE (retryable),
    // as when the queue failed for that envelope alone.
    const { transport, calls } = recordingTransport(async (method, request, call) => {
      if (method !== 'SendMessages' || failed) return call();
      failed = true;
      const body = request as { envelopes: Envelope[] };
      expect(body.envelopes.splice(1, 1)).toHaveLength(1);
      const answer = (await call()) as SendMessagesResponse;
      answer.results.splice(
        1,
        0,
        create(SendMessagesResultSchema, {
          outcome: {
            case: 'error',
            value: toStatus(new UnavailableError('queue unavailable'), silentLogger),
          },
        }),
      );
      return answer;
    });
    const client = AgentClient.create({ keys: pia.keys, transport, provider, now: kms.clock.now });
    try {
      const envelopes = await Promise.all(['a', 'b', 'c'].map((t) => sealTo(pia, quill, t)));
      const sent = await Promise.all(envelopes.map((e) => client.sendEnvelope(e)));
      expect(sent.map((r) => r.duplicate)).toEqual([false, false, false]);
      expect(calls.map((c) => c.method)).toEqual(['SendMessages', 'SendMessage']);
      const retried = calls[1]?.envelopes[0];
      expect(retried && toBinary(EnvelopeSchema, retried)).toEqual(
        toBinary(EnvelopeSchema, envelopes[1] ?? create(EnvelopeSchema)),
      );
      const items = await take(quill, 4, 300);
      expect(items.map((item) => asMessage(item).text()).sort()).toEqual(['a', 'b', 'c']);
      for (const item of items) await item.ack();
    } finally {
      client.close();
      transport.close();
    }
  });
});
