/**
 * The shipped default policy decides exactly what the code decided before the engine: the
 * channel policy table of services/channel/src/default-channel-policy.ts (operators never
 * subscribe or publish), channel management by owner (create, update, delete) and operators
 * (update, delete), and the key-management rules (requireSelf with operators, requireOperator).
 */
import { describe, expect, it } from 'vitest';
import {
  type AuthorizationRequest,
  CedarAuthorizer,
  type ChannelPolicyName,
  loadDefaultPolicy,
  type PolicyAction,
} from '../src/index.ts';
import { agent, onChannel, onPlatform, operator, sendContext } from './support.ts';

const authorizer = new CedarAuthorizer();
authorizer.use({ version: 1, text: loadDefaultPolicy() });

const alice = agent('alice'); // owner
const bob = agent('bob'); // on the allowlist
const carol = agent('carol'); // neither
const ops = operator('ops');

const attributes = (policy: ChannelPolicyName) => ({
  owner: 'alice',
  policy,
  allowlist: ['bob', 'dave'],
});

type Case = readonly [name: string, request: AuthorizationRequest, reasons: string[] | null];

/** `null` reasons: denied (no policy permits, no errors). */
const cases: Case[] = [
  [
    'agent sends to agent',
    { principal: alice, action: 'SendMessage', resource: bob, context: sendContext() },
    ['send-any'],
  ],
  [
    'agent sends to itself',
    {
      principal: alice,
      action: 'SendMessage',
      resource: alice,
      context: sendContext({ isChannelCopy: true }),
    },
    ['send-any'],
  ],
  [
    'operator cannot send',
    { principal: ops, action: 'SendMessage', resource: bob, context: sendContext() },
    null,
  ],
];

const channelTable: Record<
  ChannelPolicyName,
  Record<'Subscribe' | 'Publish', Record<string, string[] | null>>
> = {
  open: {
    Subscribe: {
      alice: ['channel-open', 'channel-owner'],
      bob: ['channel-open'],
      carol: ['channel-open'],
      ops: null,
    },
    Publish: {
      alice: ['channel-open', 'channel-owner'],
      bob: ['channel-open'],
      carol: ['channel-open'],
      ops: null,
    },
  },
  private: {
    Subscribe: {
      alice: ['channel-owner'],
      bob: ['channel-private-subscribe'],
      carol: null,
      ops: null,
    },
    Publish: { alice: ['channel-owner'], bob: null, carol: null, ops: null },
  },
  allowlist: {
    Subscribe: { alice: ['channel-owner'], bob: ['channel-allowlist'], carol: null, ops: null },
    Publish: { alice: ['channel-owner'], bob: ['channel-allowlist'], carol: null, ops: null },
  },
  authz_required: {
    Subscribe: { alice: ['channel-owner'], bob: null, carol: null, ops: null },
    Publish: { alice: ['channel-owner'], bob: null, carol: null, ops: null },
  },
};
const who = { alice, bob, carol, ops };
for (const [policy, actions] of Object.entries(channelTable)) {
  for (const [action, expected] of Object.entries(actions)) {
    for (const [name, reasons] of Object.entries(expected)) {
      const principal = who[name as keyof typeof who];
      cases.push([
        `${policy} channel: ${name} ${action}`,
        onChannel(principal, action as PolicyAction, attributes(policy as ChannelPolicyName)),
        reasons,
      ]);
    }
  }
}

for (const policy of ['open', 'private', 'allowlist', 'authz_required'] as const) {
  const a = attributes(policy);
  cases.push(
    [
      `${policy}: owner creates its channel`,
      onChannel(alice, 'CreateChannel', a),
      ['channel-create-own'],
    ],
    [
      `${policy}: agent creates a channel owned by another`,
      onChannel(bob, 'CreateChannel', a),
      null,
    ],
    [`${policy}: operator creates`, onChannel(ops, 'CreateChannel', a), null],
    [`${policy}: owner updates`, onChannel(alice, 'UpdateChannel', a), ['channel-manage-owner']],
    [`${policy}: allowlisted updates`, onChannel(bob, 'UpdateChannel', a), null],
    [
      `${policy}: operator updates`,
      onChannel(ops, 'UpdateChannel', a),
      ['channel-manage-operator'],
    ],
    [`${policy}: owner deletes`, onChannel(alice, 'DeleteChannel', a), ['channel-manage-owner']],
    [`${policy}: other deletes`, onChannel(carol, 'DeleteChannel', a), null],
    [
      `${policy}: operator deletes`,
      onChannel(ops, 'DeleteChannel', a),
      ['channel-manage-operator'],
    ],
  );
}

for (const action of ['RevokeKey', 'RotateIdentityKey'] as const) {
  cases.push(
    [`${action}: own keys`, { principal: alice, action, resource: alice }, ['keys-self']],
    [`${action}: another agent's keys`, { principal: alice, action, resource: bob }, null],
    [
      `${action}: operator on any agent`,
      { principal: ops, action, resource: bob },
      ['keys-operator'],
    ],
  );
}

for (const action of [
  'IssueEnrollmentCredential',
  'ReadAudit',
  'ReadPolicies',
  'ManagePolicies',
] as const) {
  cases.push(
    [`${action}: operator`, onPlatform(ops, action), ['platform-operator']],
    [`${action}: agent`, onPlatform(alice, action), null],
  );
}

describe('the default policy', () => {
  it.each(cases)('%s', async (_name, request, reasons) => {
    expect(await authorizer.authorize(request)).toEqual({
      allowed: reasons !== null,
      policyVersion: 1,
      reasons: reasons ?? [],
      errors: [],
      cached: false,
    });
  });

  it('covers every action of the schema', () => {
    const seen = new Set(cases.map(([, request]) => request.action));
    expect([...seen].sort()).toEqual(
      [
        'SendMessage',
        'Publish',
        'Subscribe',
        'CreateChannel',
        'UpdateChannel',
        'DeleteChannel',
        'RevokeKey',
        'RotateIdentityKey',
        'IssueEnrollmentCredential',
        'ReadAudit',
        'ReadPolicies',
        'ManagePolicies',
      ].sort(),
    );
  });
});
