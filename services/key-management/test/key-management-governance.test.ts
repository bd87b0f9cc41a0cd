/**
 * Key management under the governance, end to end through the SDK, embedded and distributed: a
 * written policy replaces the default's key and enrollment rules at once, the `fetch_prekey` limit
 * refuses with RESOURCE_EXHAUSTED and a retry-after, the per-target limit falls back to the signed
 * prekey alone, and denials are in the audit log.
 */
import { randomUUID } from 'node:crypto';
import { AUDIT_ACTIONS } from '@proof-messenger/audit-log';
import { AgentKeys, KeyManagementClient, MemoryKeyStore } from '@proof-messenger/client-sdk';
import { nativeProvider } from '@proof-messenger/crypto';
import { Code, type ProofMessengerError, Reason } from '@proof-messenger/errors';
import { loadDefaultPolicy, PLATFORM } from '@proof-messenger/policy';
import { requireServices } from '@proof-messenger/storage/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type Harness, type Mode, startHarness } from './service-harness.ts';

const provider = nativeProvider;
const distributed = await requireServices(['postgres', 'redis']);
if (!distributed.available)
  console.warn(`skipping distributed key-management governance tests: ${distributed.reason}`);

const modes: Mode[] = distributed.available ? ['embedded', 'distributed'] : ['embedded'];

async function failure(promise: Promise<unknown>): Promise<ProofMessengerError> {
  try {
    await promise;
  } catch (error) {
    return error as ProofMessengerError;
  }
  throw new Error('expected the call to fail');
}

/** Agent ids of their own, so no bucket or entry of another test is mistaken for this one's. */
function uniqueId(name: string): string {
  return `${name}-${randomUUID().slice(0, 8)}`;
}

const POLICY = `${loadDefaultPolicy()}
@id("no-self-rotation")
forbid (
  principal is ProofMessenger::Agent,
  action == ProofMessenger::Action::"RotateIdentityKey",
  resource is ProofMessenger::Agent
)
when { resource == principal };
`;

describe.each(modes)('key management under governance (%s)', (mode) => {
  let harness: Harness;
  let operator: KeyManagementClient;

  beforeAll(async () => {
    // A fetch_prekey limit small enough to reach; every other limit keeps its default.
    harness = await startHarness(mode, { PM_RATE_LIMITS: 'fetch_prekey=1/m:3' });
    operator = new KeyManagementClient(harness.address, provider, {
      operatorCredential: harness.operatorCredential,
    });
  });
  afterAll(async () => {
    operator.close();
    await harness.close();
  });

  async function newAgent(agentId: string, credential?: string): Promise<AgentKeys> {
    const agent = await AgentKeys.open({
      address: harness.address,
      agentId,
      keyStore: new MemoryKeyStore({ provider }),
      provider,
      now: harness.clock.now,
      prekeys: { lowWater: 5, target: 10 },
    });
    const enrollment =
      credential ??
      (await operator.call('issueEnrollmentCredential', { agentId, ttlSeconds: 600 })).credential;
    await agent.register(enrollment);
    return agent;
  }

  it('refuses fetches past the caller’s fetch_prekey limit, and past the target’s serves no one-time prekey', async () => {
    const target = await newAgent(uniqueId('target'));
    const first = await newAgent(uniqueId('fetcher'));
    const second = await newAgent(uniqueId('fetcher'));
    await target.ensurePrekeys();
    for (let i = 0; i < 3; i++) {
      const bundle = await first.client.call('fetchPrekeyBundle', { agentId: target.agentId });
      expect(bundle.oneTimePrekey).toBeDefined();
    }
    const limited = await failure(
      first.client.call('fetchPrekeyBundle', { agentId: target.agentId }),
    );
    expect(limited.code).toBe(Code.RESOURCE_EXHAUSTED);
    expect(limited.reason).toBe(Reason.RATE_LIMITED);
    expect(limited.retryAfterMs).toBeGreaterThan(0);
    expect(limited.retryAfterMs).toBeLessThanOrEqual(60_000);
    expect(limited.message).toBe(
      `agent ${first.agentId} exceeded the fetch_prekey limit (1/m, burst 3); retry after ${limited.retryAfterMs} ms`,
    );
    // Another caller is within its own limit, but the target handed out its three one-time
    // prekeys for this minute: the bundle falls back to the signed prekey alone.
    const fallback = await second.client.call('fetchPrekeyBundle', { agentId: target.agentId });
    expect(fallback.signedPrekey).toBeDefined();
    expect(fallback.oneTimePrekey).toBeUndefined();
    expect((await target.client.call('getPrekeyCount', {})).oneTimePrekeysRemaining).toBe(7);

    const refusals = await harness.auditEntries({
      agentId: first.agentId,
      actions: [AUDIT_ACTIONS.rateLimited],
    });
    expect(refusals.map((entry) => [entry.actor, entry.target, entry.outcome])).toEqual([
      [first.agentId, 'fetch_prekey', 'denied'],
    ]);
    const consumed = await harness.auditEntries({
      agentId: target.agentId,
      actions: [AUDIT_ACTIONS.prekeyConsumed],
    });
    expect(consumed.map((entry) => entry.actor)).toEqual([
      first.agentId,
      first.agentId,
      first.agentId,
    ]);
    for (const agent of [target, first, second]) agent.close();
  });

  it('applies a published policy at once: agents no longer rotate their own key, a named agent enrolls others', async () => {
    const rotator = await newAgent(uniqueId('rotator'));
    const enroller = await newAgent(uniqueId('enroller'));
    const newcomerId = uniqueId('newcomer');
    const before = await failure(
      enroller.client.call('issueEnrollmentCredential', { agentId: newcomerId }),
    );
    expect(before.code).toBe(Code.PERMISSION_DENIED);
    expect(before.message).toBe(
      `agent ${enroller.agentId} may not issue enrollment credentials: no policy permits it (policy version 1)`,
    );

    const governance = harness.server.governance;
    const text = `${POLICY}
@id("enroller-issues")
permit (
  principal == ProofMessenger::Agent::"${enroller.agentId}",
  action == ProofMessenger::Action::"IssueEnrollmentCredential",
  resource == ProofMessenger::Platform::"proof-messenger"
);
`;
    const published = await governance.policies.publish(text, { author: 'operator:test' });
    expect(published.version).toBe(2);
    // The watcher reloads the authorizer right after publish resolves. (Probed with a request
    // version 2 allows: a denied probe would be audited like any other denial.)
    await vi.waitFor(async () => {
      const decision = await governance.authorizer.authorize({
        principal: { type: 'Agent', id: enroller.agentId },
        action: 'IssueEnrollmentCredential',
        resource: PLATFORM,
      });
      expect(decision).toMatchObject({ allowed: true, policyVersion: 2 });
    });

    const keyBefore = rotator.signer.keyId;
    const denied = await failure(rotator.rotateIdentityKey());
    expect(denied.code).toBe(Code.PERMISSION_DENIED);
    expect(denied.reason).toBe(Reason.POLICY_DENIED);
    expect(denied.message).toBe(
      `agent ${rotator.agentId} may not rotate the identity key of ${rotator.agentId}: forbidden by policy "no-self-rotation" (policy version 2)`,
    );
    const { identity } = await operator.call('getIdentity', { agentId: rotator.agentId });
    expect(identity?.currentKey?.key?.keyId).toBe(keyBefore);
    // Only rotation was forbidden: the agent still revokes its own identity.
    await rotator.revoke('rotation forbidden, retiring');

    const { credential } = await enroller.client.call('issueEnrollmentCredential', {
      agentId: newcomerId,
      ttlSeconds: 60,
    });
    const newcomer = await newAgent(newcomerId, credential);

    const denials = await harness.auditEntries({
      agentId: rotator.agentId,
      actions: [AUDIT_ACTIONS.policyDenied],
    });
    expect(
      denials.map(({ actor, target, outcome, reason, details }) => ({
        actor,
        target,
        outcome,
        reason,
        details,
      })),
    ).toEqual([
      {
        actor: rotator.agentId,
        target: rotator.agentId,
        outcome: 'denied',
        reason: 'no-self-rotation',
        details: { action: 'RotateIdentityKey', policyVersion: '2' },
      },
    ]);
    const issued = await harness.auditEntries({
      agentId: newcomerId,
      actions: [AUDIT_ACTIONS.enrollmentIssued, AUDIT_ACTIONS.identityRegistered],
    });
    expect(issued.map((entry) => [entry.actor, entry.action, entry.target])).toEqual([
      [enroller.agentId, 'enrollment.issued', newcomerId],
      [newcomerId, 'identity.registered', newcomerId],
    ]);

    for (const agent of [rotator, enroller, newcomer]) agent.close();
  });
});

// Every registration from this host draws on the one `peer:127.0.0.1` bucket; the harness's own
// Redis key prefix keeps the distributed bucket apart from other runs.
describe.each(modes)('registration rate limit (%s)', (mode) => {
  let harness: Harness;
  let operator: KeyManagementClient;

  beforeAll(async () => {
    harness = await startHarness(mode, { PM_RATE_LIMITS: 'register=1/m:2' });
    operator = new KeyManagementClient(harness.address, provider, {
      operatorCredential: harness.operatorCredential,
    });
  });
  afterAll(async () => {
    operator.close();
    await harness.close();
  });

  it('limits registrations per client address and stores nothing past the limit', async () => {
    const agents: AgentKeys[] = [];
    const credentials = new Map<string, string>();
    for (const agentId of ['reg-1', 'reg-2', 'reg-3']) {
      const agent = await AgentKeys.open({
        address: harness.address,
        agentId,
        keyStore: new MemoryKeyStore({ provider }),
        provider,
        now: harness.clock.now,
      });
      agents.push(agent);
      credentials.set(
        agentId,
        (await operator.call('issueEnrollmentCredential', { agentId, ttlSeconds: 600 })).credential,
      );
    }
    const [one, two, three] = agents;
    if (one === undefined || two === undefined || three === undefined) throw new Error('agents');
    await one.register(credentials.get('reg-1') ?? '');
    await two.register(credentials.get('reg-2') ?? '');
    const limited = await failure(three.register(credentials.get('reg-3') ?? ''));
    expect(limited.code).toBe(Code.RESOURCE_EXHAUSTED);
    expect(limited.reason).toBe(Reason.RATE_LIMITED);
    expect(limited.retryAfterMs).toBeGreaterThan(0);
    expect(limited.message).toBe(
      `peer:127.0.0.1 exceeded the register limit (1/m, burst 2); retry after ${limited.retryAfterMs} ms`,
    );
    const lookup = await failure(operator.call('getIdentity', { agentId: 'reg-3' }));
    expect(lookup.code).toBe(Code.NOT_FOUND);
    for (const agent of agents) agent.close();
  });
});
