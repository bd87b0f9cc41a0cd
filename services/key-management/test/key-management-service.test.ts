/**
 * The key-management service end to end through the SDK, embedded (node:sqlite) and distributed
 * (PostgreSQL + Redis): registration with enrollment, prekeys under concurrent fetchers, identity
 * and session rotation with grace periods, revocation, the scheduler in two instances, and the
 * exact status of every refusal.
 */
import { create, fromBinary } from '@bufbuild/protobuf';
import { AUDIT_ACTIONS, type AuditEntry } from '@proof-messenger/audit-log';
import { AgentKeys, KeyManagementClient, MemoryKeyStore } from '@proof-messenger/client-sdk';
import {
  CompositeSigner,
  KemKeyPair,
  nativeProvider,
  utf8,
  verifyComposite,
} from '@proof-messenger/crypto';
import { Code, type ProofMessengerError, Reason } from '@proof-messenger/errors';
import {
  AuthenticationStatementSchema,
  IdentityRegistrationSchema,
  KeyStatus,
  PrekeySchema,
  RotationSchedule,
  SessionKeySchema,
} from '@proof-messenger/proto';
import {
  openEnvelope,
  SIGNATURE_CONTEXT,
  sealEnvelope,
  signStatement,
} from '@proof-messenger/protocol';
import { requireServices } from '@proof-messenger/storage/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RotationScheduler } from '../src/rotation-scheduler.ts';
import { type Harness, type Mode, silentLogger, startHarness } from './service-harness.ts';

const provider = nativeProvider;
const distributed = await requireServices(['postgres', 'redis']);
if (!distributed.available)
  console.warn(`skipping distributed key-management tests: ${distributed.reason}`);

const modes: Mode[] = distributed.available ? ['embedded', 'distributed'] : ['embedded'];

/** The fields of an entry a service decides (sequence, time and chaining are the log's). */
function recorded(entry: AuditEntry) {
  const { actor, action, target, outcome, reason, details } = entry;
  return { actor, action, target, outcome, reason, details };
}

async function failure(promise: Promise<unknown>): Promise<ProofMessengerError> {
  try {
    await promise;
  } catch (error) {
    return error as ProofMessengerError;
  }
  throw new Error('expected the call to fail');
}

describe.each(modes)('key-management service (%s)', (mode) => {
  let harness: Harness;
  let operator: KeyManagementClient;

  beforeAll(async () => {
    harness = await startHarness(mode);
    operator = new KeyManagementClient(harness.address, provider, {
      operatorCredential: harness.operatorCredential,
    });
  });
  afterAll(async () => {
    operator.close();
    await harness.close();
  });

  async function enroll(agentId: string): Promise<string> {
    return (await operator.call('issueEnrollmentCredential', { agentId, ttlSeconds: 600 }))
      .credential;
  }

  async function newAgent(
    agentId: string,
    options: { register?: boolean } = {},
  ): Promise<AgentKeys> {
    const agent = await AgentKeys.open({
      address: harness.address,
      agentId,
      keyStore: new MemoryKeyStore({ provider }),
      provider,
      now: harness.clock.now,
      prekeys: { lowWater: 5, target: 10 },
    });
    if (options.register !== false) await agent.register(await enroll(agentId));
    return agent;
  }

  it('registers an identity with an enrollment credential and serves it', async () => {
    const alice = await newAgent('alice');
    const { identity } = await alice.client.call('getIdentity', { agentId: 'alice' });
    expect(identity?.agentId).toBe('alice');
    expect(identity?.revoked).toBe(false);
    expect(identity?.currentKey?.key?.keyId).toBe(alice.signer.keyId);
    expect(identity?.currentKey?.status).toBe(KeyStatus.CURRENT);
    alice.close();
  });

  it('refuses registration without, with a reused, expired or foreign credential, and stores nothing', async () => {
    const bob = await newAgent('bob', { register: false });
    const missing = await failure(bob.register(''));
    expect(missing.code).toBe(Code.UNAUTHENTICATED);
    expect(missing.message).toBe(
      'enrollment_credential is required: ask an operator to issue one (IssueEnrollmentCredential)',
    );

    const forCarol = await enroll('carol');
    const foreign = await failure(bob.register(forCarol));
    expect(foreign.code).toBe(Code.PERMISSION_DENIED);
    expect(foreign.message).toBe('enrollment_credential was issued for another agent id');

    const short = (
      await operator.call('issueEnrollmentCredential', { agentId: 'bob', ttlSeconds: 1 })
    ).credential;
    harness.clock.advance(2000);
    const expired = await failure(bob.register(short));
    harness.clock.advance(-2000);
    expect(expired.code).toBe(Code.UNAUTHENTICATED);
    expect(expired.message).toBe(
      'enrollment_credential has expired; ask an operator for a new one',
    );

    const unknown = await failure(bob.register('pmenr_not-a-real-credential'));
    expect(unknown.message).toBe(
      'enrollment_credential is not valid; ask an operator for a new one',
    );

    const lookup = await failure(operator.call('getIdentity', { agentId: 'bob' }));
    expect(lookup.code).toBe(Code.NOT_FOUND);
    expect(lookup.message).toBe('agent bob is not registered');

    const good = await enroll('bob');
    await bob.register(good);
    const reused = await failure((await newAgent('bob2', { register: false })).register(good));
    expect(reused.code).toBe(Code.PERMISSION_DENIED); // bound to bob, so wrong agent before "used"
    bob.close();
  });

  it('refuses a proof of possession by the wrong key and wrong key lengths', async () => {
    const claimed = CompositeSigner.generate(provider).signer;
    const impostor = CompositeSigner.generate(provider).signer;
    const body = {
      agentId: 'mallory',
      identityKey: {
        keyId: claimed.keyId,
        mlDsa65: claimed.publicKey.mlDsa65,
        ed25519: claimed.publicKey.ed25519,
      },
      createdAtMs: BigInt(harness.clock.now()),
    };
    const credential = await enroll('mallory');
    const wrongSigner = await signStatement(
      impostor,
      IdentityRegistrationSchema,
      create(IdentityRegistrationSchema, body),
    );
    const popError = await failure(
      operator.anonymous('registerIdentity', {
        registration: wrongSigner,
        enrollmentCredential: credential,
      }),
    );
    expect(popError.code).toBe(Code.INVALID_ARGUMENT);
    expect(popError.reason).toBe(Reason.SIGNATURE_INVALID);
    expect(popError.message).toBe(
      `registration.signature must be made with key ${claimed.keyId}, got ${impostor.keyId}`,
    );

    const short = {
      ...body,
      identityKey: { ...body.identityKey, mlDsa65: claimed.publicKey.mlDsa65.subarray(1) },
    };
    const shortStatement = await signStatement(
      claimed,
      IdentityRegistrationSchema,
      create(IdentityRegistrationSchema, short),
    );
    const lengthError = await failure(
      operator.anonymous('registerIdentity', {
        registration: shortStatement,
        enrollmentCredential: credential,
      }),
    );
    expect(lengthError.code).toBe(Code.INVALID_ARGUMENT);
    expect(lengthError.field).toBe('registration.identity_key.ml_dsa_65');
    expect(lengthError.message).toBe(
      'registration.identity_key.ml_dsa_65 must be 1952 bytes, got 1951',
    );

    // The credential was not burned by the bad requests: a correct registration still succeeds.
    const good = await signStatement(
      claimed,
      IdentityRegistrationSchema,
      create(IdentityRegistrationSchema, body),
    );
    await operator.anonymous('registerIdentity', {
      registration: good,
      enrollmentCredential: credential,
    });
  });

  it('hands each one-time prekey to exactly one of 50 concurrent fetchers', async () => {
    const dana = await newAgent('dana');
    const fetcher = await newAgent('fetcher');
    await dana.ensurePrekeys();
    // Top up to exactly 30 one-time prekeys.
    await dana.client.call('uploadPrekeyBundle', {
      oneTimePrekeys: await Promise.all(
        Array.from({ length: 20 }, async () => {
          const keyPair = KemKeyPair.generate(provider, 2).keyPair;
          return signStatement(
            dana.signer,
            PrekeySchema,
            create(PrekeySchema, {
              agentId: 'dana',
              key: { keyId: keyPair.keyId, suite: 2, publicKey: keyPair.publicKey },
              oneTime: true,
            }),
          );
        }),
      ),
    });
    expect((await dana.client.call('getPrekeyCount', {})).oneTimePrekeysRemaining).toBe(30);

    // Distributed: the fetchers are split across two service instances (separate pools).
    const otherInstance =
      mode === 'distributed'
        ? new KeyManagementClient(
            (await harness.startInstance()).address,
            provider,
            { agent: { agentId: 'fetcher', signer: fetcher.signer } },
            harness.clock.now,
          )
        : fetcher.client;
    const bundles = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        (i % 2 === 0 ? fetcher.client : otherInstance).call('fetchPrekeyBundle', {
          agentId: 'dana',
        }),
      ),
    );
    const handedOut = bundles.flatMap((bundle) =>
      bundle.oneTimePrekey === undefined ? [] : [bundle.oneTimePrekey],
    );
    const keyIds = handedOut.map(
      (statement) => fromBinary(PrekeySchema, statement.body).key?.keyId,
    );
    expect(handedOut).toHaveLength(30);
    expect(new Set(keyIds).size).toBe(30);
    expect(bundles.filter((bundle) => bundle.oneTimePrekey === undefined)).toHaveLength(20);
    expect((await dana.client.call('getPrekeyCount', {})).oneTimePrekeysRemaining).toBe(0);
    // Every bundle is signed by dana's identity key.
    const bundle = bundles[0];
    if (bundle?.signedPrekey?.signature === undefined) throw new Error('no signed prekey');
    expect(bundle.identityKey?.keyId).toBe(dana.signer.keyId);
    // The SDK tops up once below the low-water mark.
    expect(await dana.ensurePrekeys()).toBe(10);
    const uploaded = await harness.auditEntries({
      agentId: 'dana',
      actions: [AUDIT_ACTIONS.prekeysUploaded],
    });
    expect(uploaded.map(recorded)).toEqual([
      {
        actor: 'dana',
        action: 'prekeys.uploaded',
        target: 'dana',
        outcome: 'success',
        reason: '',
        details: {
          signedPrekey: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/),
          oneTime: '10',
          remaining: '10',
        },
      },
      {
        actor: 'dana',
        action: 'prekeys.uploaded',
        target: 'dana',
        outcome: 'success',
        reason: '',
        details: { signedPrekey: '', oneTime: '20', remaining: '30' },
      },
      {
        actor: 'dana',
        action: 'prekeys.uploaded',
        target: 'dana',
        outcome: 'success',
        reason: '',
        details: { signedPrekey: '', oneTime: '10', remaining: '10' },
      },
    ]);
    const consumed = await harness.auditEntries({
      agentId: 'dana',
      actions: [AUDIT_ACTIONS.prekeyConsumed],
    });
    expect(consumed).toHaveLength(30);
    for (const entry of consumed) {
      expect(recorded(entry)).toEqual({
        actor: 'fetcher',
        action: 'prekey.consumed',
        target: 'dana',
        outcome: 'success',
        reason: '',
        details: { keyId: expect.any(String) },
      });
    }
    expect(new Set(consumed.map((entry) => entry.details.keyId))).toEqual(new Set(keyIds));
    dana.close();
    fetcher.close();
    if (otherInstance !== fetcher.client) otherInstance.close();
  });

  it('rotates identity keys keeping the history, so old signatures still verify as of their time', async () => {
    const erin = await newAgent('erin');
    const oldSigner = erin.signer;
    const signedBefore = await oldSigner.sign(utf8('approved before rotation'), SIGNATURE_CONTEXT);
    const newKeyId = await erin.rotateIdentityKey();
    const { keys } = await erin.client.call('listKeyHistory', { agentId: 'erin' });
    expect(keys.map((key) => [key.key?.keyId, key.status])).toEqual([
      [oldSigner.keyId, KeyStatus.SUPERSEDED],
      [newKeyId, KeyStatus.CURRENT],
    ]);
    const [old, current] = keys;
    expect(Number(old?.validity?.notAfterMs)).toBe(Number(current?.validity?.notBeforeMs));
    expect(
      await verifyComposite(
        provider,
        oldSigner.publicKey,
        utf8('approved before rotation'),
        signedBefore,
        SIGNATURE_CONTEXT,
      ),
    ).toBe(true);
    // The old key can no longer authenticate; the SDK re-authenticated with the new one.
    expect(
      (await erin.client.call('getIdentity', { agentId: 'erin' })).identity?.currentKey?.key?.keyId,
    ).toBe(newKeyId);
    erin.close();
  });

  it('accepts a superseded session key during its grace period, then not, and the SDK deletes it', async () => {
    const frank = await newAgent('frank');
    const grace = harness.config.sessionGraceMs;
    const first = await frank.rotateSessionKey('gina', RotationSchedule.DAILY);
    const firstPair = await frank.sessionKeyPair(first);
    const second = await frank.rotateSessionKey('gina', RotationSchedule.DAILY);
    const listed = async () =>
      (await frank.client.call('getSessionKeys', { ownerId: 'frank', peerId: 'gina' })).keys.map(
        (key) => [
          fromBinary(SessionKeySchema, key.sessionKey?.body ?? new Uint8Array()).key?.keyId,
          key.current,
        ],
      );
    expect(await listed()).toEqual([
      [second, true],
      [first, false],
    ]);
    // A message sealed to the old key is still readable during the grace period.
    const sender = CompositeSigner.generate(provider).signer;
    const envelope = await sealEnvelope(
      provider,
      sender,
      { senderId: 'gina', recipientId: 'frank' },
      [firstPair],
      utf8('in grace'),
    );
    expect(
      new TextDecoder().decode(
        (await openEnvelope(provider, envelope, sender.publicKey, [firstPair])).content,
      ),
    ).toBe('in grace');
    expect(await frank.deleteExpiredKeys()).toEqual([]);

    harness.clock.advance(grace + 1000);
    expect(await listed()).toEqual([[second, true]]);
    expect(await frank.deleteExpiredKeys()).toEqual([first]);
    const gone = await failure(frank.sessionKeyPair(first));
    expect(gone.message).toContain(`no private key ${first} in the key store`);
    harness.clock.advance(-(grace + 1000));
    frank.close();
  });

  it('revocation takes effect at once for tokens, fetches and lookups', async () => {
    const hank = await newAgent('hank');
    await hank.ensurePrekeys();
    const other = await newAgent('other');
    const denied = await failure(
      other.client.call('revokeKey', { agentId: 'hank', keyId: '', reason: 'test' }),
    );
    expect(denied.code).toBe(Code.PERMISSION_DENIED);
    expect(denied.message).toBe(
      'agent other may not revoke keys of hank: no policy permits it (policy version 1)',
    );

    await hank.revoke('key material leaked');
    const identity = (await operator.call('getIdentity', { agentId: 'hank' })).identity;
    expect(identity?.revoked).toBe(true);
    const fetch = await failure(other.client.call('fetchPrekeyBundle', { agentId: 'hank' }));
    expect(fetch.code).toBe(Code.PERMISSION_DENIED);
    expect(fetch.message).toBe('agent hank is revoked: key material leaked');
    const afterwards = await failure(hank.client.call('getPrekeyCount', {}));
    expect(afterwards.code).toBe(Code.PERMISSION_DENIED);
    hank.close();
    other.close();
  });

  it('records every key change in the audit log, without secrets', async () => {
    // Earlier tests move the clock forward and back; the log never lets times go back, so an
    // entry's time is the later of the service clock and the newest entry before it.
    const floor = (await harness.auditEntries({})).at(-1)?.timeMs ?? 0;
    const before = harness.clock.now();
    const judy = await newAgent('judy');
    const firstKeyId = judy.signer.keyId;
    const secondKeyId = await judy.rotateIdentityKey();
    const sessionKeyId = await judy.rotateSessionKey('kim');
    await judy.revoke('retired');
    const after = harness.clock.now();
    const entries = await harness.auditEntries({ agentId: 'judy' });
    const success = { outcome: 'success', reason: '' } as const;
    expect(entries.map(recorded)).toEqual([
      {
        ...success,
        actor: 'operator:ops',
        action: 'enrollment.issued',
        target: 'judy',
        details: { expiresAtMs: expect.stringMatching(/^\d{13}$/) },
      },
      {
        ...success,
        actor: 'judy',
        action: 'identity.registered',
        target: 'judy',
        reason: 'enrollment credential',
        details: { keyId: firstKeyId },
      },
      {
        ...success,
        actor: 'judy',
        action: 'identity.key_rotated',
        target: 'judy',
        details: { previousKeyId: firstKeyId, keyId: secondKeyId },
      },
      {
        ...success,
        actor: 'judy',
        action: 'session.key_rotated',
        target: 'judy->kim',
        details: { keyId: sessionKeyId, graceEndsAtMs: '' },
      },
      {
        ...success,
        actor: 'judy',
        action: 'identity.revoked',
        target: 'judy',
        reason: 'retired',
        details: {},
      },
    ]);
    // Times are the service's clock at the change (raised to the newest earlier entry, never
    // lowered), so they order with the calls.
    const times = entries.map((entry) => entry.timeMs);
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(times[0]).toBeGreaterThanOrEqual(before);
    expect(times.at(-1)).toBeLessThanOrEqual(Math.max(after, floor));
    const issued = Number(entries[0]?.details.expiresAtMs);
    expect(issued - (entries[0]?.timeMs ?? 0)).toBeLessThanOrEqual(600_000);
    expect(issued - before).toBeGreaterThanOrEqual(600_000);
    expect(issued - after).toBeLessThanOrEqual(600_000);
    expect(JSON.stringify(entries)).not.toMatch(/pmenr_/);
    judy.close();
  });

  it('refuses stale and replayed authentication statements', async () => {
    const kate = await newAgent('kate');
    const statement = (issuedAtMs: number, nonce: string) =>
      signStatement(
        kate.signer,
        AuthenticationStatementSchema,
        create(AuthenticationStatementSchema, {
          agentId: 'kate',
          keyId: kate.signer.keyId,
          audience: 'proof-messenger',
          issuedAtMs: BigInt(issuedAtMs),
          nonce,
        }),
      );
    const stale = await failure(
      operator.anonymous('authenticate', {
        statement: await statement(harness.clock.now() - 600_000, 'n'.repeat(24)),
      }),
    );
    expect(stale.code).toBe(Code.FAILED_PRECONDITION);
    expect(stale.reason).toBe(Reason.STALE_TIMESTAMP);
    expect(stale.message).toBe(
      'statement.issued_at_ms is 600 s in the past; it must be within 300 s of the server clock',
    );
    const once = await statement(harness.clock.now(), 'r'.repeat(24));
    expect((await operator.anonymous('authenticate', { statement: once })).accessToken).toMatch(
      /^pm1\./,
    );
    const replay = await failure(operator.anonymous('authenticate', { statement: once }));
    expect(replay.code).toBe(Code.ALREADY_EXISTS);
    expect(replay.message).toBe('statement.nonce was already used; sign a new statement');
    kate.close();
  });

  it('answers unknown agents and bad input with specific statuses', async () => {
    const ivan = await newAgent('ivan');
    const unknown = await failure(ivan.client.call('fetchPrekeyBundle', { agentId: 'nobody' }));
    expect(unknown.code).toBe(Code.NOT_FOUND);
    expect(unknown.message).toBe('agent nobody is not registered');
    const badId = await failure(ivan.client.call('getIdentity', { agentId: 'Not An Id' }));
    expect(badId.code).toBe(Code.INVALID_ARGUMENT);
    expect(badId.field).toBe('agent_id');
    const noAuth = await failure(
      new KeyManagementClient(harness.address, provider).call('getIdentity', { agentId: 'ivan' }),
    );
    expect(noAuth.code).toBe(Code.UNAUTHENTICATED);
    const notOperator = await failure(
      ivan.client.call('issueEnrollmentCredential', { agentId: 'x' }),
    );
    expect(notOperator.code).toBe(Code.PERMISSION_DENIED);
    expect(notOperator.message).toBe(
      'agent ivan may not issue enrollment credentials: no policy permits it (policy version 1)',
    );
    ivan.close();
  });

  it('runs the rotation scheduler in two instances at once, rotating each due session exactly once', async () => {
    // Distributed: a second service process's worth (own pools). Embedded is one process by design
    // (one SQLite writer), so its second scheduler shares the process's database handle.
    const secondScheduler =
      mode === 'distributed'
        ? (await harness.startInstance()).server.scheduler
        : new RotationScheduler({
            stores: harness.server.context.stores,
            audit: harness.server.governance.audit,
            log: silentLogger,
            now: harness.clock.now,
            intervalMs: 0,
          });
    const owners = await Promise.all(['sam', 'sue', 'sid'].map((id) => newAgent(id)));
    for (const owner of owners) {
      await owner.rotateSessionKey('peer-a', RotationSchedule.HOURLY);
      await owner.rotateSessionKey('peer-b', RotationSchedule.HOURLY);
      await owner.rotateSessionKey('peer-c', RotationSchedule.ON_DEMAND);
    }
    harness.clock.advance(61 * 60_000);
    const runs = await Promise.all([harness.server.scheduler.runOnce(), secondScheduler.runOnce()]);
    expect(runs[0].claimed + runs[1].claimed).toBe(6);
    const again = await Promise.all([
      harness.server.scheduler.runOnce(),
      secondScheduler.runOnce(),
    ]);
    expect(again[0].claimed + again[1].claimed).toBe(0);
    for (const owner of owners) {
      const { notices } = await owner.client.call('listRotationNotices', {});
      expect(notices.map((notice) => notice.peerId).sort()).toEqual(['peer-a', 'peer-b']);
      expect((await owner.handleRotationNotices()).sort()).toEqual(['peer-a', 'peer-b']);
      expect((await owner.client.call('listRotationNotices', {})).notices).toEqual([]);
    }
    harness.clock.advance(-61 * 60_000);
    for (const owner of owners) owner.close();
  });
});
