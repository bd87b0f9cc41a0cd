/**
 * PolicyAdministration on real storage: the default as version 1, publish / rollback / list /
 * active, invalid policies refused with Cedar's own message and the active version unchanged,
 * a lockout refused, and every change and refusal audited.
 */
import { AUDIT_ACTIONS } from '@proof-messenger/audit-log';
import {
  FailedPreconditionError,
  InvalidArgumentError,
  NotFoundError,
  Reason,
  TooLargeError,
} from '@proof-messenger/errors';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  loadDefaultPolicy,
  PolicyAdministration,
  PolicyLockoutError,
  SqlPolicyStore,
} from '../src/index.ts';
import { sqliteBackend } from './backends.ts';
import { MemoryAuditSink } from './support.ts';

const NO_CLEARTEXT = `${loadDefaultPolicy()}
@id("no-cleartext")
forbid (principal, action == ProofMessenger::Action::"SendMessage", resource)
when { context.cleartext };
`;

async function rejection(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e as Error,
  );
}

describe('PolicyAdministration', () => {
  let admin: PolicyAdministration;
  let audit: MemoryAuditSink;
  let close: () => Promise<void>;
  let now: number;

  beforeEach(async () => {
    const opened = await sqliteBackend();
    close = opened.close;
    audit = new MemoryAuditSink();
    now = 10_000;
    admin = new PolicyAdministration({
      store: new SqlPolicyStore(opened.dbs[0]),
      audit,
      now: () => now,
    });
    await admin.initialize();
  });
  afterEach(() => close());

  it('publishes the shipped default as version 1 by system on first start, once', async () => {
    const active = await admin.active();
    expect(active).toMatchObject({
      version: 1,
      author: 'system',
      comment: 'shipped default policy',
      createdAtMs: 10_000,
      active: true,
      text: loadDefaultPolicy(),
      changedAtMs: 10_000,
      changedBy: 'system',
    });
    await admin.initialize();
    expect((await admin.list()).versions.map((v) => v.version)).toEqual([1]);
    expect(audit.events).toEqual([
      expect.objectContaining({
        actor: 'system',
        action: AUDIT_ACTIONS.policyPublished,
        target: 'policy:1',
      }),
    ]);
  });

  it('validates the default policy with no errors', () => {
    expect(admin.validate(loadDefaultPolicy())).toEqual({
      valid: true,
      errors: [],
      policyCount: 11,
    });
  });

  it('publishes v2, rolls back to v1, lists, and shows the active version', async () => {
    const changes: number[] = [];
    admin.onChange((v) => changes.push(v));
    now = 20_000;
    const v2 = await admin.publish(NO_CLEARTEXT, {
      author: 'operator:alice',
      comment: 'no cleartext',
    });
    expect(v2).toMatchObject({
      version: 2,
      author: 'operator:alice',
      comment: 'no cleartext',
      active: true,
    });
    expect((await admin.active())?.version).toBe(2);
    now = 30_000;
    const back = await admin.activate(1, 'operator:bob', 'roll back');
    expect(back).toMatchObject({
      version: 1,
      author: 'system',
      changedAtMs: 30_000,
      changedBy: 'operator:bob',
    });
    expect(await admin.active()).toMatchObject({
      version: 1,
      changedAtMs: 30_000,
      changedBy: 'operator:bob',
    });
    expect((await admin.list()).versions.map((v) => [v.version, v.author, v.active])).toEqual([
      [2, 'operator:alice', false],
      [1, 'system', true],
    ]);
    expect((await admin.get(2))?.text).toBe(NO_CLEARTEXT);
    expect(changes).toEqual([2, 1]);
    expect(audit.events.slice(1)).toEqual([
      {
        actor: 'operator:alice',
        action: AUDIT_ACTIONS.policyPublished,
        target: 'policy:2',
        outcome: 'success',
        reason: 'no cleartext',
        details: { sha256: v2.sha256, policies: '12' },
      },
      {
        actor: 'operator:bob',
        action: AUDIT_ACTIONS.policyActivated,
        target: 'policy:1',
        outcome: 'success',
        reason: 'roll back',
        details: { previousVersion: '2' },
      },
    ]);
    const missing = await rejection(admin.activate(9, 'operator:bob'));
    expect(missing).toBeInstanceOf(NotFoundError);
    expect(missing.message).toBe('policy version 9 is not stored');
  });

  const invalid: readonly (readonly [string, string, string])[] = [
    [
      'a syntax error',
      'permit (principal, action resource);',
      'the policy is invalid: unexpected token `resource` (at 1:27: `resource`; expected `!=`, `)`, `,`, `:`, `<`, `<=`, `==`, `>`, `>=`, `in`, or `is`)',
    ],
    [
      'an unknown attribute',
      `${loadDefaultPolicy()}\n@id("bad-attr")\nforbid (principal, action == ProofMessenger::Action::"SendMessage", resource)\nwhen { context.urgent };\n`,
      'the policy is invalid: for policy `bad-attr`, attribute `urgent` in context for ProofMessenger::Action::"SendMessage" not found (at 141:8: `context.urgent`); help: did you mean `cleartext`?',
    ],
    [
      'an unknown action',
      `${loadDefaultPolicy()}\n@id("bad-action")\npermit (principal, action == ProofMessenger::Action::"Delete", resource);\n`,
      'the policy is invalid: for policy `bad-action`, unrecognized action `ProofMessenger::Action::"Delete"` (at 140:30: `ProofMessenger::Action::"Delete"`); help: did you mean `ProofMessenger::Action::"Publish"`?',
    ],
    [
      'a duplicate @id',
      `${loadDefaultPolicy()}\n@id("send-any")\npermit (principal, action, resource);\n`,
      'the policy is invalid: @id("send-any") at 139:1 is used by an earlier policy too',
    ],
  ];

  it.each(invalid)(
    'refuses %s with Cedar’s message; the active version is unchanged',
    async (_name, text, message) => {
      const error = await rejection(admin.publish(text, { author: 'operator:alice' }));
      expect(error).toBeInstanceOf(InvalidArgumentError);
      expect(error.message).toBe(message);
      expect(admin.validate(text)).toMatchObject({
        valid: false,
        errors: [message.slice('the policy is invalid: '.length)],
      });
      expect((await admin.active())?.version).toBe(1);
      expect((await admin.list()).versions).toHaveLength(1);
      expect(audit.events.at(-1)).toEqual({
        actor: 'operator:alice',
        action: AUDIT_ACTIONS.policyRefused,
        target: 'policy:new',
        outcome: 'denied',
        reason: message.length > 300 ? `${message.slice(0, 297)}...` : message,
      });
    },
  );

  it('refuses a policy set that locks operators out of ManagePolicies', async () => {
    const text = `${loadDefaultPolicy()}\n@id("freeze")\nforbid (principal, action == ProofMessenger::Action::"ManagePolicies", resource);\n`;
    const error = await rejection(admin.publish(text, { author: 'operator:alice' }));
    expect(error).toBeInstanceOf(PolicyLockoutError);
    expect(error).toBeInstanceOf(FailedPreconditionError);
    expect(error).toMatchObject({
      name: 'PolicyLockoutError',
      code: 9,
      reason: Reason.FAILED_PRECONDITION,
      field: 'text',
    });
    expect(error.message).toBe(
      'this policy set would lock operators out: Operator::"alice" would no longer be permitted ManagePolicies on Platform::"proof-messenger", so no one could change the policy again; keep a permit such as "platform-operator" of the default policy',
    );
    const empty = await rejection(admin.publish('', { author: 'system' }));
    expect(empty).toBeInstanceOf(PolicyLockoutError);
    expect((await admin.active())?.version).toBe(1);
  });

  it('refuses an oversized text, a long comment and an anonymous author', async () => {
    const big = await rejection(
      admin.publish(`// ${'x'.repeat(1024 * 1024)}`, { author: 'operator:a' }),
    );
    expect(big).toBeInstanceOf(TooLargeError);
    expect(big.message).toBe('the policy text exceeds 1048576 bytes');
    const long = await rejection(
      admin.publish(NO_CLEARTEXT, { author: 'operator:a', comment: 'c'.repeat(1001) }),
    );
    expect(long.message).toBe('the comment is 1001 characters; at most 1000 are accepted');
    const anonymous = await rejection(admin.publish(NO_CLEARTEXT, { author: '' }));
    expect(anonymous.message).toBe('the author of a policy change must be named');
    expect((await admin.active())?.version).toBe(1);
  });
});
