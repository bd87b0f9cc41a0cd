/**
 * The envelope processor through real services on loopback, embedded and distributed (NATS
 * JetStream + PostgreSQL + Redis): key-management for
 * identities, the envelope processor on its SQLite queue, agents using the SDK's key lifecycle and
 * the protocol core. Covers the direct-message round trip with a verified receipt, idempotent
 * retries, replay refusal across a restart, tampering, isolation, size, time, sender identity,
 * priorities, TTL notices and VerifyEnvelope.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { AgentKeys, MemoryKeyStore } from '@proof-messenger/client-sdk';
import { nativeProvider, utf8 } from '@proof-messenger/crypto';
import { Code, type ProofMessengerError, Reason } from '@proof-messenger/errors';
import {
  DeliveryReceiptBodySchema,
  type Envelope,
  EnvelopeProcessorService,
  EnvelopeSchema,
  HybridSignatureSchema,
  NoticeKind,
  PrekeySchema,
  Priority,
  SignedStatementSchema,
} from '@proof-messenger/proto';
import {
  envelopeDigest,
  openEnvelope,
  parseEnvelope,
  sealEnvelope,
  signCleartextEnvelope,
  signStatement,
  verifyStatement,
} from '@proof-messenger/protocol';
import { partitionOf } from '@proof-messenger/queue';
import { deleteStreams, natsUrl, requireNats } from '@proof-messenger/queue/testing';
import {
  fromStatus,
  PromiseClient,
  type RequestInit,
  type ResponseOf,
  silentLogger,
  type UnaryMethodName,
} from '@proof-messenger/rpc';
import { openPostgresDatabase } from '@proof-messenger/storage';
import { postgresUrl, requireServices } from '@proof-messenger/storage/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Harness,
  type Mode,
  startHarness,
} from '../../key-management/test/service-harness.ts';
import { loadConfig } from '../src/config.ts';
import {
  createEnvelopeProcessorServer,
  type EnvelopeProcessorServer,
} from '../src/envelope-processor-server.ts';

const provider = nativeProvider;

async function failure(promise: Promise<unknown>): Promise<ProofMessengerError> {
  try {
    await promise;
  } catch (error) {
    return error as ProofMessengerError;
  }
  throw new Error('expected the call to fail');
}

function flipBit(bytes: Uint8Array, bit: number): Uint8Array {
  const copy = bytes.slice();
  copy[bit >>> 3] = (copy[bit >>> 3] ?? 0) ^ (1 << (bit & 7));
  return copy;
}

type Service = typeof EnvelopeProcessorService;

interface Agent {
  readonly keys: AgentKeys;
  readonly keyStore: MemoryKeyStore;
  /** Calls the envelope processor as this agent. */
  call<K extends UnaryMethodName<Service>>(
    method: K,
    request: RequestInit<Service, K>,
  ): Promise<ResponseOf<Service, K>>;
}

const databases = await requireServices(['postgres', 'redis']);
const nats = await requireNats();
const distributedReady = databases.available && nats.available;
if (!distributedReady) {
  console.warn(`skipping distributed envelope-processor tests: ${databases.reason || nats.reason}`);
}
const modes: Mode[] = distributedReady ? ['embedded', 'distributed'] : ['embedded'];

describe.each(modes)('envelope processor (%s)', (mode) => {
  const unique = randomUUID().replaceAll('-', '').slice(0, 12);
  const schema = `pm_ep_${unique}`;
  const streamPrefix = `PMT_EP_${unique}_`;
  let kms: Harness;
  let dataDir: string;
  let ep: EnvelopeProcessorServer;
  let client: PromiseClient<Service>;
  const agents: Agent[] = [];

  async function startProcessor(): Promise<void> {
    const config = loadConfig({
      ...(mode === 'distributed'
        ? {
            NATS_URL: natsUrl(),
            PM_NATS_STREAM_PREFIX: streamPrefix,
            PM_NATS_SUBJECT_PREFIX: `pmt_ep_${unique}`,
            DATABASE_URL: postgresUrl(),
            PM_DATABASE_SCHEMA: schema,
          }
        : {}),
      PM_GRPC_PORT: '0',
      PM_DATA_DIR: dataDir,
      ...kms.peerEnv(),
      PM_MAX_ENVELOPE_BYTES: String(64 * 1024),
      PM_KEY_CACHE_TTL_MS: '0',
      // Long enough for a test to open and sign a receipt on a loaded 2-core machine.
      PM_ACK_WAIT_MS: '1000',
      PM_REDELIVERY_BACKOFF_MS: '100',
    });
    ep = await createEnvelopeProcessorServer(config, {
      provider,
      now: kms.clock.now,
      log: silentLogger,
      housekeepingIntervalMs: 0,
    });
    client = new PromiseClient(EnvelopeProcessorService, `127.0.0.1:${await ep.start()}`);
  }

  beforeAll(async () => {
    kms = await startHarness(mode, { PM_OPEN_REGISTRATION: 'loopback' });
    dataDir = mkdtempSync(join(tmpdir(), 'pm-ep-'));
    await startProcessor();
  });
  afterAll(async () => {
    for (const agent of agents) agent.keys.close();
    client.close();
    await ep.destroy();
    await kms.close();
    rmSync(dataDir, { recursive: true, force: true });
    if (mode === 'distributed') {
      await deleteStreams(natsUrl(), streamPrefix);
      const db = await openPostgresDatabase({ connectionString: postgresUrl() });
      await db.execute(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await db.close();
    }
  });

  async function agent(agentId: string): Promise<Agent> {
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
    const made: Agent = {
      keys,
      keyStore,
      call: async (method, request) =>
        client.call(method, request, {
          metadata: { authorization: await keys.client.authorization() },
        }),
    };
    agents.push(made);
    return made;
  }

  /** The recipient's current signed prekey, as a sender fetches it. */
  async function prekeyOf(
    sender: Agent,
    recipientId: string,
  ): Promise<{ keyId: string; publicKey: Uint8Array }> {
    const bundle = await sender.keys.client.call('fetchPrekeyBundle', { agentId: recipientId });
    const statement = bundle.oneTimePrekey ?? bundle.signedPrekey;
    const prekey = fromBinary(PrekeySchema, statement?.body ?? new Uint8Array());
    return { keyId: prekey.key?.keyId ?? '', publicKey: prekey.key?.publicKey ?? new Uint8Array() };
  }

  /** Opens a delivered envelope with the recipient's private prekeys. */
  async function open(recipient: Agent, sender: Agent, envelope: Envelope): Promise<string> {
    const keyPairs = await Promise.all(
      (await recipient.keyStore.list())
        .filter((r) => r.kind !== 'identity')
        .map((r) => recipient.keyStore.loadKemKeyPair(r.keyId)),
    );
    const opened = await openEnvelope(provider, envelope, sender.keys.signer.publicKey, keyPairs);
    return new TextDecoder().decode(opened.content);
  }

  async function send(
    sender: Agent,
    recipientId: string,
    text: string,
    fields: Record<string, unknown> = {},
  ): Promise<Envelope> {
    const prekey = await prekeyOf(sender, recipientId);
    return sealEnvelope(
      provider,
      sender.keys.signer,
      { senderId: sender.keys.agentId, recipientId, createdAtMs: kms.clock.now(), ...fields },
      [prekey],
      utf8(text),
    );
  }

  it('delivers a direct message once, opens it, and returns a verifiable receipt to the sender', async () => {
    const alice = await agent('alice');
    const bob = await agent('bob');
    const envelope = await send(alice, 'bob', 'hello bob');
    const sent = await alice.call('sendMessage', { envelope });
    expect(sent).toMatchObject({ duplicate: false });

    const { deliveries } = await bob.call('pollMessages', { maxMessages: 10, waitMs: 0 });
    expect(deliveries).toHaveLength(1);
    const delivery = deliveries[0];
    if (delivery === undefined || delivery.content.case !== 'envelope')
      throw new Error('no envelope delivered');
    expect(delivery.deliveryCount).toBe(1);
    const received = delivery.content.value;
    expect(toBinary(EnvelopeSchema, received)).toEqual(toBinary(EnvelopeSchema, envelope));
    expect(await open(bob, alice, received)).toBe('hello bob');

    const receiptBody = create(DeliveryReceiptBodySchema, {
      messageId: sent.messageId,
      senderId: 'alice',
      recipientId: 'bob',
      envelopeDigest: envelopeDigest(provider, received.header, received.payload),
      acknowledgedAtMs: BigInt(kms.clock.now()),
    });
    const receipt = await signStatement(bob.keys.signer, DeliveryReceiptBodySchema, receiptBody);
    await bob.call('acknowledge', {
      deliveryId: delivery.deliveryId,
      receipt: { body: receipt.body, signature: receipt.signature },
    });
    expect((await bob.call('pollMessages', { maxMessages: 10, waitMs: 0 })).deliveries).toEqual([]);

    const notices = (await alice.call('pollMessages', { maxMessages: 10, waitMs: 0 })).deliveries;
    expect(notices).toHaveLength(1);
    const content = notices[0]?.content;
    if (content?.case !== 'notice') throw new Error('expected a notice');
    expect(content.value.kind).toBe(NoticeKind.DELIVERED);
    expect(content.value.messageId).toBe(sent.messageId);
    const proof = await verifyStatement(
      provider,
      DeliveryReceiptBodySchema,
      create(SignedStatementSchema, {
        body: content.value.receipt?.body,
        signature: content.value.receipt?.signature,
      }),
      bob.keys.signer.publicKey,
      'receipt',
    );
    expect(proof.recipientId).toBe('bob');
  });

  it('answers a retry of the same envelope idempotently and refuses a reused id, also after a restart', async () => {
    const carl = await agent('carl');
    await agent('dora');
    const envelope = await send(carl, 'dora', 'once');
    const first = await carl.call('sendMessage', { envelope });
    const retry = await carl.call('sendMessage', { envelope });
    expect(retry).toMatchObject({
      messageId: first.messageId,
      duplicate: true,
      partition: first.partition,
    });

    // Delivered and acknowledged (so gone from the queue): a late retry must not deliver it again.
    const dora = agents.find((a) => a.keys.agentId === 'dora');
    if (dora === undefined) throw new Error('dora missing');
    const delivered = (await dora.call('pollMessages', { maxMessages: 10, waitMs: 0 })).deliveries;
    expect(delivered).toHaveLength(1);
    for (const delivery of delivered)
      await dora.call('acknowledge', { deliveryId: delivery.deliveryId });
    expect((await carl.call('sendMessage', { envelope })).duplicate).toBe(true);
    expect((await dora.call('pollMessages', { maxMessages: 10, waitMs: 0 })).deliveries).toEqual(
      [],
    );

    const messageId = first.messageId;
    const reuse = await send(carl, 'dora', 'something else', { messageId });
    const replay = await failure(carl.call('sendMessage', { envelope: reuse }));
    expect(replay.code).toBe(Code.ALREADY_EXISTS);
    expect(replay.reason).toBe(Reason.REPLAY);
    expect(replay.message).toBe(
      `message id ${messageId} was already used by carl for another envelope`,
    );

    client.close();
    await ep.destroy();
    await startProcessor();
    const afterRestart = await failure(carl.call('sendMessage', { envelope: reuse }));
    expect(afterRestart.code).toBe(Code.ALREADY_EXISTS);
    expect((await carl.call('sendMessage', { envelope })).duplicate).toBe(true);
  });

  it('refuses a one-bit change in any signed part before anything is queued', async () => {
    const eve = await agent('eve');
    const fay = await agent('fay');
    const envelope = await send(eve, 'fay', 'untouched');
    const signature = envelope.signature;
    if (signature === undefined) throw new Error('unsigned');
    const { keyId, mlDsa65, ed25519 } = signature;
    const variants: Envelope[] = [
      create(EnvelopeSchema, { ...envelope, header: flipBit(envelope.header, 40) }),
      create(EnvelopeSchema, {
        ...envelope,
        header: flipBit(envelope.header, envelope.header.length * 8 - 1),
      }),
      create(EnvelopeSchema, { ...envelope, payload: flipBit(envelope.payload, 3) }),
      create(EnvelopeSchema, {
        ...envelope,
        signature: create(HybridSignatureSchema, { keyId, mlDsa65, ed25519: flipBit(ed25519, 9) }),
      }),
      create(EnvelopeSchema, {
        ...envelope,
        signature: create(HybridSignatureSchema, {
          keyId,
          ed25519,
          mlDsa65: flipBit(mlDsa65, 999),
        }),
      }),
    ];
    for (const variant of variants) {
      const error = await failure(eve.call('sendMessage', { envelope: variant }));
      expect([Code.INVALID_ARGUMENT, Code.FAILED_PRECONDITION, Code.PERMISSION_DENIED]).toContain(
        error.code,
      );
    }
    const signatureError = await failure(eve.call('sendMessage', { envelope: variants[2] }));
    expect(signatureError.reason).toBe(Reason.SIGNATURE_INVALID);
    expect(signatureError.message).toBe(
      `envelope signature does not verify for sender eve with key ${eve.keys.signer.keyId}`,
    );
    expect((await fay.call('pollMessages', { maxMessages: 10, waitMs: 0 })).deliveries).toEqual([]);
  });

  it("keeps queues apart: nobody receives or acks another agent's messages", async () => {
    const gus = await agent('gus');
    const hal = await agent('hal');
    const ida = await agent('ida');
    await gus.call('sendMessage', { envelope: await send(gus, 'hal', 'for hal only') });
    expect((await ida.call('pollMessages', { maxMessages: 10, waitMs: 0 })).deliveries).toEqual([]);
    const [delivery] = (await hal.call('pollMessages', { maxMessages: 10, waitMs: 0 })).deliveries;
    if (delivery === undefined) throw new Error('nothing delivered');
    const stolen = await failure(ida.call('acknowledge', { deliveryId: delivery.deliveryId }));
    expect(stolen.code).toBe(Code.NOT_FOUND);
    const nacked = await failure(ida.call('nack', { deliveryId: delivery.deliveryId, delayMs: 0 }));
    expect(nacked.code).toBe(Code.NOT_FOUND);
    await hal.call('acknowledge', { deliveryId: delivery.deliveryId });
  });

  it('refuses oversize, stale, impersonating and unauthenticated sends with specific statuses', async () => {
    const jon = await agent('jon');
    await agent('kay');
    const big = await send(jon, 'kay', 'x'.repeat(70 * 1024));
    const tooLarge = await failure(jon.call('sendMessage', { envelope: big }));
    expect(tooLarge.code).toBe(Code.RESOURCE_EXHAUSTED);
    expect(tooLarge.message).toMatch(/^envelope is \d+ bytes; the maximum is 65536$/);

    const stale = await send(jon, 'kay', 'old', { createdAtMs: kms.clock.now() - 10 * 60_000 });
    const staleError = await failure(jon.call('sendMessage', { envelope: stale }));
    expect(staleError.code).toBe(Code.FAILED_PRECONDITION);
    expect(staleError.reason).toBe(Reason.STALE_TIMESTAMP);

    const kay = agents.find((a) => a.keys.agentId === 'kay');
    if (kay === undefined) throw new Error('kay missing');
    const asJon = await send(jon, 'kay', 'hi');
    const impersonation = await failure(kay.call('sendMessage', { envelope: asJon }));
    expect(impersonation.code).toBe(Code.PERMISSION_DENIED);
    expect(impersonation.message).toBe('kay may not send as jon');

    const anonymous = await failure(client.call('sendMessage', { envelope: asJon }));
    expect(anonymous.code).toBe(Code.UNAUTHENTICATED);

    const garbage = await failure(
      jon.call('sendMessage', { envelope: { header: new Uint8Array([1, 2, 3]) } }),
    );
    expect(garbage.code).toBe(Code.INVALID_ARGUMENT);
    expect(garbage.message).toBe('envelope.header is not a valid EnvelopeHeader protobuf');

    const toNobody = await failure(
      jon.call('sendMessage', {
        envelope: await sealEnvelope(
          provider,
          jon.keys.signer,
          { senderId: 'jon', recipientId: 'nobody', createdAtMs: kms.clock.now() },
          [await prekeyOf(jon, 'kay')],
          utf8('?'),
        ),
      }),
    );
    expect(toNobody.code).toBe(Code.PERMISSION_DENIED);
    expect(toNobody.message).toBe('recipient nobody is not a registered, active agent');
  });

  it('SendMessages answers each envelope as SendMessage would and stores only the good ones', async () => {
    const nia = await agent('nia');
    const ole = await agent('ole');
    await agent('pat');
    const earlier = await send(nia, 'ole', 'earlier');
    const first = await nia.call('sendMessage', { envelope: earlier });
    for (const delivery of (await ole.call('pollMessages', { maxMessages: 10, waitMs: 0 }))
      .deliveries)
      await ole.call('acknowledge', { deliveryId: delivery.deliveryId });

    const good = await send(nia, 'ole', 'good one');
    const genuine = await send(nia, 'ole', 'forged');
    const forged = create(EnvelopeSchema, { ...genuine, payload: flipBit(genuine.payload, 3) });
    const replay = await send(nia, 'ole', 'replay', { messageId: first.messageId });
    const pat = agents.find((a) => a.keys.agentId === 'pat');
    if (pat === undefined) throw new Error('pat missing');
    const asPat = await send(pat, 'ole', 'as pat');
    const good2 = await send(nia, 'ole', 'good two');
    const batch = [good, forged, replay, asPat, good2];
    const { results } = await nia.call('sendMessages', { envelopes: batch });

    expect(results.map((r) => r.outcome.case)).toEqual(['sent', 'error', 'error', 'error', 'sent']);
    const sent = results.flatMap((r) => (r.outcome.case === 'sent' ? [r.outcome.value] : []));
    expect(sent.map((r) => [r.messageId, r.duplicate])).toEqual([
      [parseEnvelope(good).header.messageId, false],
      [parseEnvelope(good2).header.messageId, false],
    ]);
    const errors = results.flatMap((r) =>
      r.outcome.case === 'error' ? [fromStatus(r.outcome.value)] : [],
    );
    expect(errors.map((e) => [e.code, e.reason, e.message])).toEqual([
      [
        Code.INVALID_ARGUMENT,
        Reason.SIGNATURE_INVALID,
        `envelope signature does not verify for sender nia with key ${nia.keys.signer.keyId}`,
      ],
      [
        Code.ALREADY_EXISTS,
        Reason.REPLAY,
        `message id ${first.messageId} was already used by nia for another envelope`,
      ],
      [Code.PERMISSION_DENIED, Reason.POLICY_DENIED, 'nia may not send as pat'],
    ]);
    // The very status SendMessage answers for each refused envelope alone.
    for (const [i, envelope] of [forged, replay, asPat].entries()) {
      const alone = await failure(nia.call('sendMessage', { envelope }));
      expect([alone.code, alone.reason, alone.message, alone.field, alone.retryable]).toEqual([
        errors[i]?.code,
        errors[i]?.reason,
        errors[i]?.message,
        errors[i]?.field,
        errors[i]?.retryable,
      ]);
    }

    const { deliveries } = await ole.call('pollMessages', { maxMessages: 10, waitMs: 0 });
    const texts = await Promise.all(
      deliveries.map((d) =>
        d.content.case === 'envelope' ? open(ole, nia, d.content.value) : d.content.case,
      ),
    );
    expect(texts.sort()).toEqual(['good one', 'good two']);
    for (const delivery of deliveries)
      await ole.call('acknowledge', { deliveryId: delivery.deliveryId });

    // A retried batch is idempotent item by item.
    const again = await nia.call('sendMessages', { envelopes: [good, good2] });
    expect(
      again.results.map((r) => r.outcome.case === 'sent' && r.outcome.value.duplicate),
    ).toEqual([true, true]);
  });

  it('SendMessages refuses an empty, too long, too large or unauthenticated batch whole', async () => {
    const quin = await agent('quin');
    const rae = await agent('rae');
    const empty = await failure(quin.call('sendMessages', { envelopes: [] }));
    expect([empty.code, empty.message, empty.field]).toEqual([
      Code.INVALID_ARGUMENT,
      'envelopes holds 0 envelopes; send 1 to 256 per call',
      'envelopes',
    ]);
    const tiny = { header: new Uint8Array([1]), payload: new Uint8Array() };
    const tooMany = await failure(
      quin.call('sendMessages', { envelopes: Array.from({ length: 257 }, () => tiny) }),
    );
    expect([tooMany.code, tooMany.message]).toEqual([
      Code.INVALID_ARGUMENT,
      'envelopes holds 257 envelopes; send 1 to 256 per call',
    ]);
    // Each fits PM_MAX_ENVELOPE_BYTES (64 KiB) alone; together they do not.
    const halves = [
      await send(quin, 'rae', 'a'.repeat(40 * 1024)),
      await send(quin, 'rae', 'b'.repeat(40 * 1024)),
    ];
    const total = halves.reduce((n, e) => n + e.header.length + e.payload.length, 0);
    const tooLarge = await failure(quin.call('sendMessages', { envelopes: halves }));
    expect([tooLarge.code, tooLarge.reason, tooLarge.message]).toEqual([
      Code.RESOURCE_EXHAUSTED,
      Reason.TOO_LARGE,
      `envelopes are ${total} bytes in all; the maximum per call is 65536`,
    ]);
    const anonymous = await failure(
      client.call('sendMessages', { envelopes: [halves[0] ?? tiny] }),
    );
    expect(anonymous.code).toBe(Code.UNAUTHENTICATED);
    expect((await rae.call('pollMessages', { maxMessages: 10, waitMs: 0 })).deliveries).toEqual([]);
  });

  it('delivers higher priorities first and tells the sender when a message expires', async () => {
    const lou = await agent('lou');
    const max = await agent('max');
    for (let i = 0; i < 5; i++)
      await lou.call('sendMessage', { envelope: await send(lou, 'max', `normal ${i}`) });
    const critical = await send(lou, 'max', 'critical', { priority: Priority.CRITICAL });
    await lou.call('sendMessage', { envelope: critical });
    const [first] = (await max.call('pollMessages', { maxMessages: 1, waitMs: 0 })).deliveries;
    if (first?.content.case !== 'envelope') throw new Error('no envelope');
    expect(await open(max, lou, first.content.value)).toBe('critical');

    const mia = await agent('mia');
    await lou.call('sendMessage', {
      envelope: await send(lou, 'mia', 'short-lived', { ttlSeconds: 1 }),
    });
    kms.clock.advance(2000);
    expect((await mia.call('pollMessages', { maxMessages: 10, waitMs: 0 })).deliveries).toEqual([]);
    await ep.housekeeping.runOnce();
    // Poll before turning the clock back: the notice became available at the advanced time.
    const notices = (
      await lou.call('pollMessages', { maxMessages: 50, waitMs: 0 })
    ).deliveries.filter(
      (d) => d.content.case === 'notice' && d.content.value.kind === NoticeKind.EXPIRED,
    );
    kms.clock.advance(-2000);
    expect(notices).toHaveLength(1);
  });

  it('verifies proofs: who signed, when, with which key, and exactly what for signed cleartext', async () => {
    const ned = await agent('ned');
    const proof = await signCleartextEnvelope(
      ned.keys.signer,
      { senderId: 'ned', recipientId: 'auditor', createdAtMs: kms.clock.now() },
      utf8('I approve PO-7'),
    );
    const answer = await ned.call('verifyEnvelope', { envelope: proof });
    expect(answer.valid).toBe(true);
    expect(answer.signerId).toBe('ned');
    expect(answer.signerKey?.keyId).toBe(ned.keys.signer.keyId);
    expect(new TextDecoder().decode(answer.signedContent)).toBe('I approve PO-7');
    const forged = create(EnvelopeSchema, { ...proof, payload: utf8('I approve PO-8') });
    const refused = await ned.call('verifyEnvelope', { envelope: forged });
    expect(refused.valid).toBe(false);
    expect(refused.failureReason).toBe(Reason.SIGNATURE_INVALID);
  });

  it('refuses senders whose key is revoked', async () => {
    const oli = await agent('oli');
    await agent('pam');
    const envelope = await send(oli, 'pam', 'before revocation');
    const authorization = await oli.keys.client.authorization();
    await oli.keys.revoke('stolen');
    const refused = await failure(
      client.call('sendMessage', { envelope }, { metadata: { authorization } }),
    );
    expect(refused.code).toBe(Code.UNAUTHENTICATED);
  });

  it('redelivers a missed ack, then dead-letters after 5 deliveries and tells the sender', async () => {
    const pia = await agent('pia');
    const quinn = await agent('quinn');
    const sent = await pia.call('sendMessage', {
      envelope: await send(pia, 'quinn', 'never acked'),
    });
    const counts: number[] = [];
    const deadline = Date.now() + 20_000;
    while (counts.length < 5 && Date.now() < deadline) {
      const { deliveries } = await quinn.call('pollMessages', { maxMessages: 1, waitMs: 1500 });
      for (const delivery of deliveries) counts.push(delivery.deliveryCount);
    }
    expect(counts).toEqual([1, 2, 3, 4, 5]);
    // The sixth attempt finds the message exhausted: it moves to the dead letters.
    const deadlineNotice = Date.now() + 20_000;
    let notice: { kind: number; messageId: string } | undefined;
    while (notice === undefined && Date.now() < deadlineNotice) {
      expect(
        (await quinn.call('pollMessages', { maxMessages: 1, waitMs: 700 })).deliveries,
      ).toEqual([]);
      await ep.housekeeping.runOnce();
      const found = (
        await pia.call('pollMessages', { maxMessages: 10, waitMs: 0 })
      ).deliveries.find(
        (d) => d.content.case === 'notice' && d.content.value.kind === NoticeKind.DEAD_LETTERED,
      );
      if (found?.content.case === 'notice') notice = found.content.value;
    }
    expect(notice?.messageId).toBe(sent.messageId);
    expect((await ep.context.queue.deadLetters('quinn', 10)).map((m) => m.messageId)).toEqual([
      sent.messageId,
    ]);
  }, 60_000);

  it('reports queue state to the agent itself and to operators, and refuses everyone else', async () => {
    const sender = await agent('qs-sender');
    const owner = await agent('qs-owner');
    await sender.call('sendMessage', {
      envelope: await send(sender, 'qs-owner', 'urgent', { priority: Priority.HIGH }),
    });
    await sender.call('sendMessage', { envelope: await send(sender, 'qs-owner', 'routine') });
    const partition = partitionOf('qs-owner', ep.context.config.partitions);
    expect(await owner.call('getQueueState', {})).toMatchObject({
      agentId: 'qs-owner',
      partition,
      ready: { low: 0, normal: 1, high: 1, critical: 0 },
      inFlight: 0,
      deadLettered: 0,
    });
    const [leased] = (await owner.call('pollMessages', { maxMessages: 1, waitMs: 0 })).deliveries;
    expect(leased?.deliveryCount).toBe(1);
    const expected = {
      agentId: 'qs-owner',
      partition,
      ready: { low: 0, normal: 1, high: 0, critical: 0 },
      inFlight: 1,
      deadLettered: 0,
    };
    expect(await owner.call('getQueueState', { agentId: 'qs-owner' })).toMatchObject(expected);
    const operator = { metadata: { authorization: `Operator ${kms.operatorCredential}` } };
    expect(await client.call('getQueueState', { agentId: 'qs-owner' }, operator)).toMatchObject(
      expected,
    );

    const nosy = await failure(sender.call('getQueueState', { agentId: 'qs-owner' }));
    expect(nosy.code).toBe(Code.PERMISSION_DENIED);
    expect(nosy.message).toBe(
      'qs-sender may not read the queue of qs-owner: only agent qs-owner itself or an operator may',
    );
    const anonymous = await failure(client.call('getQueueState', { agentId: 'qs-owner' }));
    expect(anonymous.code).toBe(Code.UNAUTHENTICATED);
    const noId = await failure(client.call('getQueueState', {}, operator));
    expect(noId.code).toBe(Code.INVALID_ARGUMENT);
    expect(noId.message).toBe(
      'agent_id is required for an operator: name the agent whose queue to report',
    );
    const badId = await failure(client.call('getQueueState', { agentId: 'Not An Id' }, operator));
    expect(badId.code).toBe(Code.INVALID_ARGUMENT);
    expect(badId.message).toBe(
      `agent_id must be 1-128 characters of a-z, 0-9, '.', '_', ':' or '-' starting with a letter or digit, got "Not An Id"`,
    );
    const unknown = await failure(client.call('getQueueState', { agentId: 'qs-nobody' }, operator));
    expect(unknown.code).toBe(Code.NOT_FOUND);
    expect(unknown.message).toBe('agent qs-nobody is not registered and has nothing queued');
  });
});
