/**
 * The envelope processor under governance, through the real service (embedded, and distributed
 * on NATS JetStream + PostgreSQL + Redis): a written Cedar policy decides SendMessage (exact
 * PERMISSION_DENIED status and message naming the policy, nothing queued, allowed sends still
 * pass); the `send` rate limit refuses the (burst+1)th send with RESOURCE_EXHAUSTED and a
 * retry-after hint the client sees, before anything is stored, and SendMessages pays per envelope;
 * two instances on one Redis share the limit; and the audit log holds exactly the entries of a
 * send, delivery and acknowledgement, a refusal, an expiry and a dead-letter, with ids and
 * digests but never plaintext.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create, fromBinary } from '@bufbuild/protobuf';
import { type AuditEntry, encodeAuditEntry } from '@proof-messenger/audit-log';
import { AgentKeys, MemoryKeyStore } from '@proof-messenger/client-sdk';
import { nativeProvider, utf8 } from '@proof-messenger/crypto';
import { Code, type ProofMessengerError, Reason } from '@proof-messenger/errors';
import type { Governance } from '@proof-messenger/governance';
import { CedarAuthorizer, loadDefaultPolicy } from '@proof-messenger/policy';
import {
  DeliveryReceiptBodySchema,
  type Envelope,
  EnvelopeProcessorService,
  EnvelopeSchema,
  PrekeySchema,
  Priority,
} from '@proof-messenger/proto';
import {
  envelopeDigest,
  parseEnvelope,
  sealEnvelope,
  signCleartextEnvelope,
  signStatement,
} from '@proof-messenger/protocol';
import { deleteStreams, natsUrl, requireNats } from '@proof-messenger/queue/testing';
import {
  PromiseClient,
  type RequestInit,
  type ResponseOf,
  silentLogger,
  type UnaryMethodName,
} from '@proof-messenger/rpc';
import { openPostgresDatabase } from '@proof-messenger/storage';
import { postgresUrl, redisUrl, requireServices } from '@proof-messenger/storage/testing';
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
const SECRET = 'the-launch-code-is-0000';
const BURST = 4;

async function failure(promise: Promise<unknown>): Promise<ProofMessengerError> {
  try {
    await promise;
  } catch (error) {
    return error as ProofMessengerError;
  }
  throw new Error('expected the call to fail');
}

type Service = typeof EnvelopeProcessorService;

interface Agent {
  readonly id: string;
  readonly keys: AgentKeys;
  call<K extends UnaryMethodName<Service>>(
    method: K,
    request: RequestInit<Service, K>,
    via?: PromiseClient<Service>,
  ): Promise<ResponseOf<Service, K>>;
}

const databases = await requireServices(['postgres', 'redis']);
const nats = await requireNats();
const distributedReady = databases.available && nats.available;
if (!distributedReady) {
  console.warn(`skipping distributed governance tests: ${databases.reason || nats.reason}`);
}
const modes: Mode[] = distributedReady ? ['embedded', 'distributed'] : ['embedded'];

describe.each(modes)('envelope processor governance (%s)', (mode) => {
  const unique = randomUUID().replaceAll('-', '').slice(0, 12);
  const schema = `pm_epg_${unique}`;
  const streamPrefix = `PMT_EPG_${unique}_`;
  let kms: Harness;
  let dataDir: string;
  let ep: EnvelopeProcessorServer;
  let client: PromiseClient<Service>;
  let governance: Governance;
  const agents: Agent[] = [];
  const closers: (() => Promise<void>)[] = [];

  function env(): Record<string, string> {
    return {
      ...(mode === 'distributed'
        ? {
            NATS_URL: natsUrl(),
            PM_NATS_STREAM_PREFIX: streamPrefix,
            PM_NATS_SUBJECT_PREFIX: `pmt_epg_${unique}`,
            DATABASE_URL: postgresUrl(),
            PM_DATABASE_SCHEMA: schema,
            REDIS_URL: redisUrl(),
            PM_REDIS_KEY_PREFIX: `pmtest:epg:${unique}:`,
          }
        : {}),
      PM_GRPC_PORT: '0',
      PM_DATA_DIR: dataDir,
      ...kms.peerEnv(),
      PM_KEY_CACHE_TTL_MS: '0',
      PM_ACK_WAIT_MS: '300',
      PM_MAX_DELIVERIES: '2',
      PM_REDELIVERY_BACKOFF_MS: '0',
      // Per sender; refills so slowly (1/min) that nothing refills during the test.
      PM_RATE_LIMITS: `send=1/m:${BURST}`,
    };
  }

  /** Another instance on the same storage (and, distributed, the same Redis). */
  async function startAnother(): Promise<{ server: EnvelopeProcessorServer; port: number }> {
    const server = await createEnvelopeProcessorServer(loadConfig(env()), {
      provider,
      now: kms.clock.now,
      log: silentLogger,
      housekeepingIntervalMs: 0,
    });
    return { server, port: await server.start() };
  }

  beforeAll(async () => {
    kms = await startHarness(mode, { PM_OPEN_REGISTRATION: 'loopback' });
    dataDir = mkdtempSync(join(tmpdir(), 'pm-epg-'));
    ep = await createEnvelopeProcessorServer(loadConfig(env()), {
      provider,
      now: kms.clock.now,
      log: silentLogger,
      housekeepingIntervalMs: 0,
    });
    client = new PromiseClient(EnvelopeProcessorService, `127.0.0.1:${await ep.start()}`);
    governance = ep.governance;
  });
  afterAll(async () => {
    for (const agent of agents) agent.keys.close();
    client.close();
    for (const close of closers) await close();
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

  async function agent(id: string): Promise<Agent> {
    const keys = await AgentKeys.open({
      address: kms.address,
      agentId: id,
      keyStore: new MemoryKeyStore({ provider }),
      provider,
      now: kms.clock.now,
      prekeys: { lowWater: 2, target: 5 },
    });
    await keys.register();
    await keys.ensurePrekeys();
    const made: Agent = {
      id,
      keys,
      call: async (method, request, via = client) =>
        via.call(method, request, {
          metadata: { authorization: await keys.client.authorization() },
        }),
    };
    agents.push(made);
    return made;
  }

  async function sealed(
    sender: Agent,
    recipientId: string,
    text: string,
    fields: Record<string, unknown> = {},
  ): Promise<Envelope> {
    const bundle = await sender.keys.client.call('fetchPrekeyBundle', { agentId: recipientId });
    const statement = bundle.oneTimePrekey ?? bundle.signedPrekey;
    const prekey = fromBinary(PrekeySchema, statement?.body ?? new Uint8Array());
    return sealEnvelope(
      provider,
      sender.keys.signer,
      { senderId: sender.id, recipientId, createdAtMs: kms.clock.now(), ...fields },
      [{ keyId: prekey.key?.keyId ?? '', publicKey: prekey.key?.publicKey ?? new Uint8Array() }],
      utf8(text),
    );
  }

  function cleartext(sender: Agent, recipientId: string, text: string): Promise<Envelope> {
    return signCleartextEnvelope(
      sender.keys.signer,
      { senderId: sender.id, recipientId, createdAtMs: kms.clock.now() },
      utf8(text),
    );
  }

  async function queued(agentId: string): Promise<number> {
    const stats = await ep.context.queue.stats(agentId);
    const { low, normal, high, critical } = stats.ready;
    return low + normal + high + critical + stats.inFlight;
  }

  /** Every audit entry naming `agentId` (as actor or target), oldest first. */
  async function trailOf(agentId: string, actions: string[] = ['message.']): Promise<AuditEntry[]> {
    await governance.recorder.flush();
    const entries: AuditEntry[] = [];
    let pageToken = '';
    do {
      const page = await governance.trail.query({ agentId, actions, pageSize: 1000, pageToken });
      entries.push(...page.entries);
      pageToken = page.nextPageToken;
    } while (pageToken !== '');
    return entries.reverse();
  }

  function digestOf(envelope: Envelope): Uint8Array {
    return envelopeDigest(provider, envelope.header, envelope.payload);
  }

  /** The parts of an entry a test states exactly. */
  function summary(entry: AuditEntry) {
    const { actor, action, target, outcome, reason, details, messageIds, messageHashes } = entry;
    return { actor, action, target, outcome, reason, details, messageIds, messageHashes };
  }

  async function expectNoPlaintext(agentId: string): Promise<void> {
    const secret = Buffer.from(SECRET, 'utf8');
    const entries = await trailOf(agentId, []);
    expect(entries.length).toBeGreaterThan(0);
    for (const entry of entries) {
      expect(Buffer.from(encodeAuditEntry(entry)).includes(secret)).toBe(false);
    }
  }

  it('a written policy decides SendMessage: exact denial naming the policy, nothing queued, allowed sends pass', async () => {
    const treasurer = await agent('treasurer');
    const mallory = await agent('mallory');
    await agent('vault');
    await agent('auditor');
    await agent('bob');
    const text = `${loadDefaultPolicy()}
@id("vault-senders")
forbid (
  principal,
  action == ProofMessenger::Action::"SendMessage",
  resource == ProofMessenger::Agent::"vault"
)
unless { principal in [ProofMessenger::Agent::"treasurer"] };

@id("no-cleartext")
forbid (principal, action == ProofMessenger::Action::"SendMessage", resource)
when { context.cleartext }
unless { resource == ProofMessenger::Agent::"auditor" };
`;
    const record = await governance.policies.publish(text, { author: 'operator:test' });
    const authorizer = governance.authorizer;
    if (!(authorizer instanceof CedarAuthorizer)) throw new Error('expected the Cedar authorizer');
    const deadline = Date.now() + 10_000;
    while (authorizer.policyVersion !== record.version && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(authorizer.policyVersion).toBe(record.version);
    const version = record.version;

    const toVault = await sealed(mallory, 'vault', SECRET);
    const denied = await failure(mallory.call('sendMessage', { envelope: toVault }));
    expect([denied.code, denied.reason, denied.message]).toEqual([
      Code.PERMISSION_DENIED,
      Reason.POLICY_DENIED,
      `agent mallory may not send to agent vault: forbidden by policy "vault-senders" (policy version ${version})`,
    ]);
    const clear = await cleartext(mallory, 'bob', SECRET);
    const clearDenied = await failure(mallory.call('sendMessage', { envelope: clear }));
    expect([clearDenied.code, clearDenied.reason, clearDenied.message]).toEqual([
      Code.PERMISSION_DENIED,
      Reason.POLICY_DENIED,
      `agent mallory may not send to agent bob: forbidden by policy "no-cleartext" (policy version ${version})`,
    ]);
    expect(await queued('vault')).toBe(0);
    expect(await queued('bob')).toBe(0);

    // What the policies do not forbid still passes.
    expect(
      (await treasurer.call('sendMessage', { envelope: await sealed(treasurer, 'vault', 'ok') }))
        .duplicate,
    ).toBe(false);
    expect(
      (await mallory.call('sendMessage', { envelope: await sealed(mallory, 'bob', 'fine') }))
        .duplicate,
    ).toBe(false);
    const signed = await cleartext(mallory, 'auditor', SECRET);
    await mallory.call('sendMessage', { envelope: signed });
    expect([await queued('vault'), await queued('bob'), await queued('auditor')]).toEqual([
      1, 1, 1,
    ]);

    const refused = (await trailOf('mallory')).filter((e) => e.action === 'message.refused');
    expect(refused.map(summary)).toEqual([
      {
        actor: 'mallory',
        action: 'message.refused',
        target: 'vault',
        outcome: 'denied',
        reason: `POLICY_DENIED: ${denied.message}`,
        details: {},
        messageIds: [idOf(toVault)],
        messageHashes: [],
      },
      {
        actor: 'mallory',
        action: 'message.refused',
        target: 'bob',
        outcome: 'denied',
        reason: `POLICY_DENIED: ${clearDenied.message}`,
        details: {},
        messageIds: [idOf(clear)],
        messageHashes: [],
      },
    ]);
    // The authorizer audits its own denials, once each.
    const policyDenied = (await trailOf('mallory', ['policy.denied'])).map((e) => [
      e.target,
      e.reason,
    ]);
    expect(policyDenied).toEqual([
      ['vault', 'vault-senders'],
      ['bob', 'no-cleartext'],
    ]);
    const sentClear = (await trailOf('auditor')).find((e) => e.action === 'message.sent');
    expect(sentClear?.details.contentMode).toBe('signed_cleartext');
    expect(sentClear?.messageHashes).toEqual([digestOf(signed)]);
    await expectNoPlaintext('mallory');
    await expectNoPlaintext('auditor');
  });

  it('refuses the (burst+1)th send with RESOURCE_EXHAUSTED and a retry-after hint, storing nothing of it; SendMessages pays per envelope', async () => {
    const ann = await agent('rl-ann');
    await agent('rl-ben');
    for (let i = 0; i < BURST; i++) {
      await ann.call('sendMessage', { envelope: await sealed(ann, 'rl-ben', `#${i}`) });
    }
    const extra = await sealed(ann, 'rl-ben', 'one too many');
    const limited = await failure(ann.call('sendMessage', { envelope: extra }));
    expect([limited.code, limited.reason, limited.retryable]).toEqual([
      Code.RESOURCE_EXHAUSTED,
      Reason.RATE_LIMITED,
      true,
    ]);
    expect(limited.message).toMatch(
      /^agent rl-ann exceeded the send limit \(1\/m, burst 4\); retry after \d+ ms$/,
    );
    expect(limited.retryAfterMs).toBeGreaterThan(0);
    expect(limited.retryAfterMs).toBeLessThanOrEqual(60_000);
    expect(await queued('rl-ben')).toBe(BURST);
    // Spent before any signature is verified: a forgery over the limit costs no verification.
    const forged = create(EnvelopeSchema, {
      ...extra,
      payload: extra.payload.map((byte, i) => (i === 3 ? byte ^ 1 : byte)),
    });
    const forgedRefusal = await failure(ann.call('sendMessage', { envelope: forged }));
    expect(forgedRefusal.reason).toBe(Reason.RATE_LIMITED);

    // A batch costs one token per envelope and is refused whole when the bucket cannot pay.
    const cat = await agent('rl-cat');
    await cat.call('sendMessage', { envelope: await sealed(cat, 'rl-ben', 'single') });
    const batch = await Promise.all(
      Array.from({ length: BURST }, (_, i) => sealed(cat, 'rl-ben', `batch ${i}`)),
    );
    const whole = await failure(cat.call('sendMessages', { envelopes: batch }));
    expect([whole.code, whole.reason]).toEqual([Code.RESOURCE_EXHAUSTED, Reason.RATE_LIMITED]);
    expect(whole.retryAfterMs).toBeGreaterThan(0);
    expect(await queued('rl-ben')).toBe(BURST + 1);
    const fits = await cat.call('sendMessages', { envelopes: batch.slice(0, BURST - 1) });
    expect(fits.results.map((r) => r.outcome.case)).toEqual(['sent', 'sent', 'sent']);
    expect(await queued('rl-ben')).toBe(2 * BURST);

    // Rate-limit refusals are audited at most once per second per sender: the forgery's is held
    // back (and counted in the next entry's details.refusals).
    const refusals = (await trailOf('rl-ann')).filter((e) => e.action === 'message.refused');
    expect(refusals.map(summary)).toEqual([
      {
        actor: 'rl-ann',
        action: 'message.refused',
        target: 'rl-ben',
        outcome: 'denied',
        reason: `RATE_LIMITED: ${limited.message}`,
        details: {},
        messageIds: [idOf(extra)],
        messageHashes: [],
      },
    ]);
    const batchRefusal = (await trailOf('rl-cat')).filter((e) => e.action === 'message.refused');
    expect(batchRefusal.map((e) => [e.target, e.outcome, e.details])).toEqual([
      ['', 'denied', { envelopes: String(BURST) }],
    ]);
    // The limiter audits its own refusal too.
    expect((await trailOf('rl-ann', ['rate_limit.refused'])).map((e) => e.target)).toEqual([
      'send',
    ]);
  });

  it.skipIf(mode !== 'distributed')('two instances on one Redis share the send limit', async () => {
    const second = await startAnother();
    closers.push(() => second.server.destroy());
    const other = new PromiseClient(EnvelopeProcessorService, `127.0.0.1:${second.port}`);
    closers.push(async () => other.close());
    const dee = await agent('rl-dee');
    await agent('rl-eli');
    for (let i = 0; i < BURST; i++) {
      const via = i % 2 === 0 ? client : other;
      await dee.call('sendMessage', { envelope: await sealed(dee, 'rl-eli', `#${i}`) }, via);
    }
    for (const via of [client, other]) {
      const limited = await failure(
        dee.call('sendMessage', { envelope: await sealed(dee, 'rl-eli', 'over') }, via),
      );
      expect([limited.code, limited.reason]).toEqual([
        Code.RESOURCE_EXHAUSTED,
        Reason.RATE_LIMITED,
      ]);
      expect(limited.retryAfterMs).toBeGreaterThan(0);
    }
    expect(await queued('rl-eli')).toBe(BURST);
  });

  it('SendMessages shares message.sent entries among envelopes to one recipient with the same facts', async () => {
    const ann = await agent('ab-ann');
    await agent('ab-bob');
    await agent('ab-cid');
    const envelopes = [
      await sealed(ann, 'ab-bob', 'one'),
      await sealed(ann, 'ab-cid', 'two'),
      await sealed(ann, 'ab-bob', 'three'),
      await sealed(ann, 'ab-bob', 'four', { priority: Priority.HIGH }),
    ];
    const { results } = await ann.call('sendMessages', { envelopes });
    const partitions = results.map((r) =>
      r.outcome.case === 'sent' ? r.outcome.value.partition : -1,
    );
    expect(partitions.every((p) => p >= 0)).toBe(true);
    const ids = envelopes.map(idOf);
    const size = (i: number) => {
      const e = envelopes[i] as Envelope;
      return e.header.length + e.payload.length;
    };
    const sentEntry = (target: string, indexes: number[], priority: string) => ({
      actor: 'ab-ann',
      action: 'message.sent',
      target,
      outcome: 'success',
      reason: '',
      details: {
        priority,
        sizeBytes: String(indexes.reduce((sum, i) => sum + size(i), 0)),
        ttlMs: '86400000',
        contentMode: 'encrypted',
        partition: String(partitions[indexes[0] as number]),
        ...(indexes.length > 1 ? { envelopes: String(indexes.length) } : {}),
      },
      messageIds: indexes.map((i) => ids[i]),
      messageHashes: indexes.map((i) => digestOf(envelopes[i] as Envelope)),
    });
    // Groups in the order their first envelope came: (bob, normal), (cid, normal), (bob, high).
    expect((await trailOf('ab-ann')).map(summary)).toEqual([
      sentEntry('ab-bob', [0, 2], 'normal'),
      sentEntry('ab-cid', [1], 'normal'),
      sentEntry('ab-bob', [3], 'high'),
    ]);
  });

  it('audits send, delivery, acknowledgement, expiry and dead-letter exactly, with digests and no plaintext', async () => {
    const ada = await agent('au-ada');
    const bea = await agent('au-bea');
    const envelope = await sealed(ada, 'au-bea', SECRET);
    const sent = await ada.call('sendMessage', { envelope });
    // An idempotent retry stores nothing new and is not audited again.
    expect((await ada.call('sendMessage', { envelope })).duplicate).toBe(true);
    const [delivery] = (await bea.call('pollMessages', { maxMessages: 10, waitMs: 0 })).deliveries;
    if (delivery === undefined) throw new Error('nothing delivered');
    const digest = digestOf(envelope);
    const receipt = await signStatement(
      bea.keys.signer,
      DeliveryReceiptBodySchema,
      create(DeliveryReceiptBodySchema, {
        messageId: sent.messageId,
        senderId: 'au-ada',
        recipientId: 'au-bea',
        envelopeDigest: digest,
        acknowledgedAtMs: BigInt(kms.clock.now()),
      }),
    );
    await bea.call('acknowledge', {
      deliveryId: delivery.deliveryId,
      receipt: { body: receipt.body, signature: receipt.signature },
    });
    const ids = [sent.messageId];
    expect((await trailOf('au-ada')).map(summary)).toEqual([
      {
        actor: 'au-ada',
        action: 'message.sent',
        target: 'au-bea',
        outcome: 'success',
        reason: '',
        details: {
          priority: 'normal',
          sizeBytes: String(envelope.header.length + envelope.payload.length),
          ttlMs: '86400000',
          contentMode: 'encrypted',
          partition: String(sent.partition),
        },
        messageIds: ids,
        messageHashes: [digest],
      },
      {
        actor: 'au-bea',
        action: 'message.acknowledged',
        target: 'au-ada',
        outcome: 'success',
        reason: '',
        details: { receipt: 'valid' },
        messageIds: ids,
        messageHashes: [digest],
      },
    ]);
    expect(
      (await trailOf('au-bea')).filter((e) => e.action === 'message.delivered').map(summary),
    ).toEqual([
      {
        actor: 'service:envelope-processor',
        action: 'message.delivered',
        target: 'au-bea',
        outcome: 'success',
        reason: '',
        details: { sender: 'au-ada', attempt: '1' },
        messageIds: ids,
        messageHashes: [digest],
      },
    ]);

    // Expiry: the recipient never receives it in time.
    const cid = await agent('au-cid');
    await agent('au-dot');
    const shortLived = await sealed(cid, 'au-dot', SECRET, { ttlSeconds: 1 });
    const expiring = await cid.call('sendMessage', { envelope: shortLived });
    kms.clock.advance(2000);
    try {
      await ep.housekeeping.runOnce();
    } finally {
      kms.clock.advance(-2000);
    }
    const expired = (await trailOf('au-dot')).filter((e) => e.action === 'message.expired');
    expect(expired.map(summary)).toEqual([
      {
        actor: 'service:envelope-processor',
        action: 'message.expired',
        target: 'au-dot',
        outcome: 'failure',
        reason: 'time to live passed before the recipient acknowledged',
        details: { sender: 'au-cid' },
        messageIds: [expiring.messageId],
        messageHashes: [digestOf(shortLived)],
      },
    ]);

    // Dead-letter: delivered PM_MAX_DELIVERIES (2) times, never acknowledged.
    const eve = await agent('au-eve');
    const fay = await agent('au-fay');
    const neverAcked = await sealed(eve, 'au-fay', SECRET);
    const dead = await eve.call('sendMessage', { envelope: neverAcked });
    const deadline = Date.now() + 20_000;
    let entries: AuditEntry[] = [];
    while (Date.now() < deadline) {
      await fay.call('pollMessages', { maxMessages: 1, waitMs: 500 });
      await ep.housekeeping.runOnce();
      entries = (await trailOf('au-fay')).filter((e) => e.action === 'message.dead_lettered');
      if (entries.length > 0) break;
    }
    expect(entries.map(summary)).toEqual([
      {
        actor: 'service:envelope-processor',
        action: 'message.dead_lettered',
        target: 'au-fay',
        outcome: 'failure',
        reason: 'not acknowledged after 2 deliveries',
        details: { sender: 'au-eve', deliveries: '2' },
        messageIds: [dead.messageId],
        messageHashes: [digestOf(neverAcked)],
      },
    ]);
    expect(
      (await trailOf('au-fay'))
        .filter((e) => e.action === 'message.delivered')
        .map((e) => e.details.attempt),
    ).toEqual(['1', '2']);

    for (const id of ['au-ada', 'au-bea', 'au-cid', 'au-dot', 'au-eve', 'au-fay']) {
      await expectNoPlaintext(id);
    }
  }, 60_000);
});

function idOf(envelope: Envelope): string {
  return parseEnvelope(envelope).header.messageId;
}
