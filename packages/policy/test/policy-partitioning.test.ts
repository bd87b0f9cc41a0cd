/**
 * Partitioning by scope: the scopes read from Cedar's JSON form, the partitions of the default
 * policy, that each partition is parsed once per version, and the property that matters — for
 * the default policy and for random policy sets (permits and forbids with every kind of scope
 * and conditions that hold, fail or err), the partitioned decision equals the one over the
 * whole set: allowed, reasons and errors.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type AuthorizationRequest,
  CedarAuthorizer,
  type CedarEngine,
  type ChannelAttributes,
  type ChannelPolicyName,
  type EntityRef,
  loadDefaultPolicy,
  loadPolicySchema,
  PLATFORM,
  POLICY_ACTIONS,
  type PolicyAction,
  wasmCedarEngine,
} from '../src/index.ts';
import { splitPolicies } from '../src/internal/compile-policy-set.ts';
import { PolicyIndex } from '../src/internal/policy-index.ts';
import { type PolicyScope, schemaHierarchy, scopeOf } from '../src/internal/policy-scope.ts';
import { agent, channel, operator, sendContext } from './support.ts';

const NS = 'ProofMessenger';
const hierarchy = schemaHierarchy(wasmCedarEngine, loadPolicySchema(), NS);

function scope(policy: string): PolicyScope {
  const json = wasmCedarEngine.policyToJson(policy);
  if (json.type !== 'success') throw new Error(`does not parse: ${policy}`);
  return scopeOf(json.json, hierarchy);
}

function indexOf(text: string): PolicyIndex {
  const split = splitPolicies(wasmCedarEngine, text);
  if (!split.ok) throw new Error(split.errors.join('; '));
  const scopes = new Map<string, PolicyScope>();
  for (const [id, json] of Object.entries(split.named.json))
    scopes.set(id, scopeOf(json, hierarchy));
  return new PolicyIndex(scopes);
}

describe('policy scopes from Cedar JSON', () => {
  it('reads action ==, action in [..], action in A and an unconstrained action', () => {
    expect(
      scope('permit (principal, action == ProofMessenger::Action::"ReadAudit", resource);').actions,
    ).toEqual(new Set(['ReadAudit']));
    expect(
      scope(
        'permit (principal, action in [ProofMessenger::Action::"Publish", ProofMessenger::Action::"Subscribe"], resource);',
      ).actions,
    ).toEqual(new Set(['Publish', 'Subscribe']));
    expect(
      scope('permit (principal, action in ProofMessenger::Action::"RevokeKey", resource);').actions,
    ).toEqual(new Set(['RevokeKey']));
    expect(scope('permit (principal, action, resource);')).toEqual({
      actions: undefined,
      principal: { kind: 'any' },
      resource: { kind: 'any' },
    });
  });

  it('reads is T, == E, in E (no entity type has members) and is T in E', () => {
    const s = scope(
      'forbid (principal is ProofMessenger::Operator, action, resource is ProofMessenger::Channel in ProofMessenger::Channel::"c1");',
    );
    expect(s.principal).toEqual({ kind: 'type', type: 'ProofMessenger::Operator' });
    expect(s.resource).toEqual({ kind: 'entity', type: 'ProofMessenger::Channel', id: 'c1' });
    const t = scope(
      'permit (principal == ProofMessenger::Agent::"a1", action, resource in ProofMessenger::Agent::"b");',
    );
    expect(t.principal).toEqual({ kind: 'entity', type: 'ProofMessenger::Agent', id: 'a1' });
    expect(t.resource).toEqual({ kind: 'entity', type: 'ProofMessenger::Agent', id: 'b' });
    // `is T in E` with E of another type: kept as "type T" (a superset, never wrong).
    expect(
      scope(
        'permit (principal, action, resource is ProofMessenger::Channel in ProofMessenger::Platform::"p");',
      ).resource,
    ).toEqual({ kind: 'type', type: 'ProofMessenger::Channel' });
  });

  it('widens `in` to any when the schema lets entities be members of that type', () => {
    const withGroups = schemaHierarchy(
      wasmCedarEngine,
      'namespace N { entity Team; entity User in [Team]; action Go appliesTo { principal: User, resource: Team }; }',
      'N',
    );
    const json = wasmCedarEngine.policyToJson(
      'permit (principal in N::Team::"t", action, resource in N::User::"u");',
    );
    if (json.type !== 'success') throw new Error('does not parse');
    expect(scopeOf(json.json, withGroups)).toEqual({
      actions: undefined,
      principal: { kind: 'any' },
      resource: { kind: 'entity', type: 'N::User', id: 'u' },
    });
  });

  it('follows action groups of the schema for `action in`', () => {
    const grouped = schemaHierarchy(
      wasmCedarEngine,
      'namespace N { entity U; action Admin; action Read in [Admin] appliesTo { principal: U, resource: U }; action Write in [Admin] appliesTo { principal: U, resource: U }; action Other appliesTo { principal: U, resource: U }; }',
      'N',
    );
    const json = wasmCedarEngine.policyToJson(
      'permit (principal, action in N::Action::"Admin", resource);',
    );
    if (json.type !== 'success') throw new Error('does not parse');
    expect(scopeOf(json.json, grouped).actions).toEqual(new Set(['Admin', 'Read', 'Write']));
  });
});

describe('partitions of the default policy', () => {
  const index = indexOf(loadDefaultPolicy());
  const ids = (action: PolicyAction, principal: EntityRef, resource: EntityRef) =>
    index.partition({
      action,
      principalType: `${NS}::${principal.type}`,
      principalId: principal.id,
      resourceType: `${NS}::${resource.type}`,
      resourceId: resource.id,
    }).ids;

  it('evaluates only the policies that can apply', () => {
    expect(ids('SendMessage', agent('alice'), agent('bob'))).toEqual(['send-any']);
    expect(ids('Subscribe', agent('alice'), channel('c1'))).toEqual([
      'channel-owner',
      'channel-open',
      'channel-private-subscribe',
      'channel-allowlist',
    ]);
    expect(ids('ManagePolicies', operator('ops'), PLATFORM)).toEqual(['platform-operator']);
    expect(ids('ManagePolicies', agent('alice'), PLATFORM)).toEqual([]);
    expect(ids('DeleteChannel', operator('ops'), channel('c1'))).toEqual([
      'channel-manage-operator',
    ]);
  });

  it('splits by the pinned entity, with unpinned policies in every partition', () => {
    const text = `${loadDefaultPolicy()}
@id("ops-feed-readers")
permit (principal, action == ProofMessenger::Action::"Subscribe", resource == ProofMessenger::Channel::"ops-feed");
@id("no-spam-from-x")
forbid (principal == ProofMessenger::Agent::"x", action, resource);`;
    const pinned = indexOf(text);
    const subscribe = (resource: string, principal = 'alice') =>
      pinned.partition({
        action: 'Subscribe',
        principalType: `${NS}::Agent`,
        principalId: principal,
        resourceType: `${NS}::Channel`,
        resourceId: resource,
      });
    const general = [
      'channel-owner',
      'channel-open',
      'channel-private-subscribe',
      'channel-allowlist',
      'no-spam-from-x',
    ];
    expect(subscribe('ops-feed').ids).toEqual([
      'channel-owner',
      'channel-open',
      'channel-private-subscribe',
      'channel-allowlist',
      'ops-feed-readers',
      'no-spam-from-x',
    ]);
    expect(subscribe('c1').ids).toEqual(general);
    expect(subscribe('c1').key).toBe(subscribe('c2').key);
    expect(subscribe('c1', 'x').ids).toEqual(general);
  });
});

describe('parsing partitions', () => {
  it('parses each partition once per version, never per request', async () => {
    const calls: string[] = [];
    const engine: CedarEngine = {
      ...wasmCedarEngine,
      preparsePolicySet: (id, set) => {
        calls.push(id);
        return wasmCedarEngine.preparsePolicySet(id, set);
      },
    };
    const a = new CedarAuthorizer({ engine, cacheSize: 0 });
    a.use({ version: 1, text: loadDefaultPolicy() });
    expect(calls).toHaveLength(1);
    const send = {
      principal: agent('alice'),
      action: 'SendMessage',
      resource: agent('bob'),
      context: sendContext(),
    } as const;
    for (let i = 0; i < 5; i += 1) {
      expect((await a.authorize({ ...send, resource: agent(`bob-${i}`) })).reasons).toEqual([
        'send-any',
      ]);
    }
    expect(calls).toHaveLength(2);
    expect(a.stats().partitions).toBe(1);
    await a.authorize({ principal: operator('ops'), action: 'ReadAudit', resource: PLATFORM });
    expect(calls).toHaveLength(3);
    a.use({ version: 2, text: loadDefaultPolicy() });
    expect(a.stats().partitions).toBe(0);
    await a.authorize(send);
    expect(a.stats().partitions).toBe(1);
  });
});

// ---- Equivalence ----------------------------------------------------------------------------

const ACTION_RESOURCE: Record<PolicyAction, 'Agent' | 'Channel' | 'Platform'> = {
  SendMessage: 'Agent',
  Publish: 'Channel',
  Subscribe: 'Channel',
  CreateChannel: 'Channel',
  UpdateChannel: 'Channel',
  DeleteChannel: 'Channel',
  RevokeKey: 'Agent',
  RotateIdentityKey: 'Agent',
  IssueEnrollmentCredential: 'Platform',
  ReadAudit: 'Platform',
  ReadPolicies: 'Platform',
  ManagePolicies: 'Platform',
};
const AGENTS = ['a1', 'a2', 'a3'];
const CHANNELS = ['c1', 'c2', 'c3'];
const CHANNEL_POLICIES: ChannelPolicyName[] = ['open', 'private', 'allowlist', 'authz_required'];
const act = (a: string) => `ProofMessenger::Action::"${a}"`;

const principalScope = fc.constantFrom(
  'principal',
  'principal is ProofMessenger::Agent',
  'principal is ProofMessenger::Operator',
  'principal == ProofMessenger::Agent::"a1"',
  'principal == ProofMessenger::Agent::"a2"',
  'principal in ProofMessenger::Agent::"a3"',
  'principal == ProofMessenger::Operator::"o1"',
  'principal is ProofMessenger::Agent in ProofMessenger::Agent::"a1"',
  'principal is ProofMessenger::Operator in ProofMessenger::Agent::"a1"',
);
const actionScope = fc.oneof(
  fc.constant('action'),
  fc.constantFrom(...POLICY_ACTIONS).map((a) => `action == ${act(a)}`),
  fc.constantFrom(...POLICY_ACTIONS).map((a) => `action in ${act(a)}`),
  fc
    .uniqueArray(fc.constantFrom(...POLICY_ACTIONS), { minLength: 1, maxLength: 4 })
    .map((as) => `action in [${as.map(act).join(', ')}]`),
);
const resourceScope = fc.constantFrom(
  'resource',
  'resource is ProofMessenger::Channel',
  'resource is ProofMessenger::Agent',
  'resource is ProofMessenger::Platform',
  'resource == ProofMessenger::Channel::"c1"',
  'resource in ProofMessenger::Channel::"c2"',
  'resource is ProofMessenger::Channel in ProofMessenger::Channel::"c3"',
  'resource == ProofMessenger::Agent::"a2"',
  'resource == ProofMessenger::Platform::"proof-messenger"',
);
/** Conditions that hold, fail, or err (attributes of an entity without them, missing context). */
const condition = fc.constantFrom(
  '',
  'when { true }',
  'unless { true }',
  'when { resource.owner == principal }',
  'when { resource.policy == "open" }',
  'when { resource.allowlist.contains(principal) }',
  'unless { context.sizeBytes > 1000 }',
  'when { context has priority && context.priority == "critical" }',
  'when { principal == ProofMessenger::Agent::"a1" }',
  'when { principal == resource }',
);
const policy = fc.record({
  effect: fc.constantFrom('permit', 'forbid'),
  principal: principalScope,
  action: actionScope,
  resource: resourceScope,
  condition,
});
const policySet = fc.record({
  withDefault: fc.boolean(),
  policies: fc.array(policy, { minLength: 0, maxLength: 25 }),
});

function policyText(set: {
  withDefault: boolean;
  policies: {
    effect: string;
    principal: string;
    action: string;
    resource: string;
    condition: string;
  }[];
}): string {
  const generated = set.policies.map(
    (p, i) =>
      `@id("g${i}")\n${p.effect} (${p.principal}, ${p.action}, ${p.resource}) ${p.condition};`,
  );
  return [set.withDefault ? loadDefaultPolicy() : '', ...generated].join('\n');
}

const channelAttributes: fc.Arbitrary<ChannelAttributes> = fc.record({
  owner: fc.constantFrom(...AGENTS),
  policy: fc.constantFrom(...CHANNEL_POLICIES),
  allowlist: fc.subarray(AGENTS),
});
const principal = fc.oneof(
  fc.constantFrom(...AGENTS).map(agent),
  fc.constantFrom('o1', 'o2').map(operator),
);
const request: fc.Arbitrary<AuthorizationRequest> = fc
  .record({
    principal,
    action: fc.constantFrom(...POLICY_ACTIONS),
    agentId: fc.constantFrom(...AGENTS, 'b'),
    channelId: fc.constantFrom(...CHANNELS),
    attributes: channelAttributes,
    sizeBytes: fc.constantFrom(10, 5000),
    priority: fc.constantFrom('normal', 'critical'),
    withPublishContext: fc.boolean(),
  })
  .map((r) => {
    const kind = ACTION_RESOURCE[r.action];
    const base = { principal: r.principal, action: r.action };
    if (kind === 'Platform') return { ...base, resource: PLATFORM };
    if (kind === 'Agent') {
      return {
        ...base,
        resource: agent(r.agentId),
        ...(r.action === 'SendMessage'
          ? { context: sendContext({ sizeBytes: r.sizeBytes, priority: r.priority }) }
          : {}),
      };
    }
    return {
      ...base,
      resource: channel(r.channelId),
      resourceAttributes: r.attributes,
      ...(r.action === 'Publish' && r.withPublishContext
        ? { context: { sizeBytes: r.sizeBytes, priority: r.priority } }
        : {}),
    };
  });

describe('partitioned decisions equal decisions over the whole set', () => {
  function pair(text: string) {
    // Timing is not what is compared: a loaded machine must not turn one side into a timeout.
    const options = { cacheSize: 0, decisionTimeoutMs: 60_000 };
    const partitioned = new CedarAuthorizer(options);
    const whole = new CedarAuthorizer({ ...options, partitionPolicies: false });
    partitioned.use({ version: 1, text });
    whole.use({ version: 1, text });
    return { partitioned, whole };
  }

  it('for the default policy, on every action, principal kind and channel setting', () => {
    const { partitioned, whole } = pair(loadDefaultPolicy());
    fc.assert(
      fc.property(request, (r) => {
        expect(partitioned.decide(r)).toEqual(whole.decide(r));
      }),
      { numRuns: 500 },
    );
  });

  it('for random policy sets and random requests', () => {
    const seen = { allows: 0, forbids: 0, errors: 0, noPermit: 0 };
    fc.assert(
      fc.property(
        policySet,
        fc.array(request, { minLength: 30, maxLength: 30 }),
        (set, requests) => {
          const { partitioned, whole } = pair(policyText(set));
          for (const r of requests) {
            const expected = whole.decide(r);
            expect(partitioned.decide(r)).toEqual(expected);
            if (expected.allowed) seen.allows += 1;
            else if (expected.errors.length > 0) seen.errors += 1;
            else if (expected.reasons.length > 0) seen.forbids += 1;
            else seen.noPermit += 1;
          }
        },
      ),
      { numRuns: 80, seed: 20261201 },
    );
    // Not vacuous: every kind of outcome was compared.
    expect(seen.allows).toBeGreaterThan(50);
    expect(seen.forbids).toBeGreaterThan(20);
    expect(seen.errors).toBeGreaterThan(50);
    expect(seen.noPermit).toBeGreaterThan(50);
  }, 60_000);
});

/** Sends among a few agents whose context varies in every attribute. */
const send: fc.Arbitrary<AuthorizationRequest> = fc
  .record({
    from: fc.constantFrom(...AGENTS),
    to: fc.constantFrom(...AGENTS),
    sizeBytes: fc.integer({ min: 0, max: 4000 }),
    priority: fc.constantFrom('low', 'normal', 'critical'),
    cleartext: fc.boolean(),
  })
  .map((r) => ({
    principal: agent(r.from),
    action: 'SendMessage',
    resource: agent(r.to),
    context: sendContext({ sizeBytes: r.sizeBytes, priority: r.priority, cleartext: r.cleartext }),
  }));

describe('cached decisions equal uncached ones', () => {
  it('for random policy sets and random requests, whatever their context', () => {
    // Hits on a request never decided before in that exact form: a cache keyed on the whole
    // context would have missed them, so these are the hits that context-reads.ts allows.
    let hitsOnNewContexts = 0;
    fc.assert(
      fc.property(
        policySet,
        fc.array(fc.oneof(request, send), { minLength: 40, maxLength: 40 }),
        (set, requests) => {
          const text = policyText(set);
          const options = { decisionTimeoutMs: 60_000 };
          const cached = new CedarAuthorizer(options);
          const reference = new CedarAuthorizer({ ...options, cacheSize: 0 });
          cached.use({ version: 1, text });
          reference.use({ version: 1, text });
          const decided = new Set<string>();
          for (const r of requests) {
            const decision = cached.decide(r);
            expect({ ...decision, cached: false }).toEqual(reference.decide(r));
            const exact = JSON.stringify(r);
            if (decision.cached && !decided.has(exact)) hitsOnNewContexts += 1;
            decided.add(exact);
          }
        },
      ),
      { numRuns: 60, seed: 20261202 },
    );
    expect(hitsOnNewContexts).toBeGreaterThan(200);
  }, 60_000);
});
