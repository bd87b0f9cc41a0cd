/**
 * Fail closed: an engine that throws or answers with a failure, a policy that errors while
 * evaluating, a decision over the time limit, and no policy at all each deny; with failOpen the
 * engine failures allow and each allow is audited, while malformed requests and clean denies
 * still deny.
 */
import { AUDIT_ACTIONS } from '@proof-messenger/audit-log';
import { PolicyDeniedError } from '@proof-messenger/errors';
import { describe, expect, it } from 'vitest';
import {
  authorizeOrThrow,
  CedarAuthorizer,
  type CedarEngine,
  failOpenFromEnv,
  loadDefaultPolicy,
  wasmCedarEngine,
} from '../src/index.ts';
import { agent, MemoryAuditSink, onChannel, operator, sendContext } from './support.ts';

const send = {
  principal: agent('alice'),
  action: 'SendMessage',
  resource: agent('bob'),
  context: sendContext(),
} as const;

const throwing: CedarEngine = {
  ...wasmCedarEngine,
  statefulIsAuthorized: () => {
    throw new Error('wasm trap: unreachable');
  },
};
const failing: CedarEngine = {
  ...wasmCedarEngine,
  statefulIsAuthorized: () => ({
    type: 'failure',
    errors: [
      {
        message: 'preparsed policy set not found',
        help: null,
        code: null,
        url: null,
        severity: null,
      },
    ],
    warnings: [],
  }),
};

/** A policy whose forbid errors at runtime: Cedar alone would skip it and allow. */
const ERRORING = `${loadDefaultPolicy()}
@id("bad-arithmetic")
forbid (principal, action == ProofMessenger::Action::"SendMessage", resource)
when { context.sizeBytes * 9223372036854775807 > 0 };
`;

function authorizer(
  options: ConstructorParameters<typeof CedarAuthorizer>[0],
  text = loadDefaultPolicy(),
) {
  const audit = new MemoryAuditSink();
  const a = new CedarAuthorizer({ audit, ...options });
  a.use({ version: 3, text });
  return { a, audit };
}

describe('fail closed', () => {
  it('denies when Cedar throws, and audits the deny', async () => {
    const { a, audit } = authorizer({ engine: throwing });
    expect(await a.authorize(send)).toEqual({
      allowed: false,
      policyVersion: 3,
      reasons: [],
      errors: ['Cedar threw: wasm trap: unreachable'],
      cached: false,
    });
    expect(audit.events).toEqual([
      {
        actor: 'alice',
        action: AUDIT_ACTIONS.policyDenied,
        target: 'bob',
        outcome: 'denied',
        reason: 'engine failure: Cedar threw: wasm trap: unreachable',
        details: { action: 'SendMessage', policyVersion: '3' },
      },
    ]);
    expect(a.stats()).toMatchObject({ decisions: 1, denies: 1, errors: 1, failOpenAllows: 0 });
  });

  it('denies when Cedar answers with a failure', async () => {
    const { a } = authorizer({ engine: failing });
    expect((await a.authorize(send)).errors).toEqual(['preparsed policy set not found']);
    expect((await a.authorize(send)).allowed).toBe(false);
  });

  it('denies when a policy errors while evaluating (an erroring forbid does not let it through)', async () => {
    const { a } = authorizer({}, ERRORING);
    expect(await a.authorize(send)).toEqual({
      allowed: false,
      policyVersion: 3,
      reasons: [],
      errors: [
        'policy "bad-arithmetic": integer overflow while attempting to multiply the values `1024` and `9223372036854775807`',
      ],
      cached: false,
    });
  });

  it('denies a decision slower than decisionTimeoutMs', async () => {
    let t = 0;
    const { a } = authorizer({ decisionTimeoutMs: 5, clock: () => (t += 6) });
    expect(await a.authorize(send)).toEqual({
      allowed: false,
      policyVersion: 3,
      reasons: [],
      errors: ['the decision took 6.0 ms, over the 5 ms limit'],
      cached: false,
    });
    expect(a.stats().timeouts).toBe(1);
  });

  it('denies before any policy is loaded', async () => {
    const a = new CedarAuthorizer();
    expect(await a.authorize(send)).toEqual({
      allowed: false,
      policyVersion: 0,
      reasons: [],
      errors: ['no policy version is loaded'],
      cached: false,
    });
  });

  it('authorizeOrThrow says the engine failed and it fails closed', async () => {
    const { a } = authorizer({ engine: throwing });
    const error = await authorizeOrThrow(a, send, 'send to bob').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PolicyDeniedError);
    expect((error as Error).message).toBe(
      'agent alice may not send to bob: the policy engine could not decide (Cedar threw: wasm trap: unreachable), and authorization fails closed',
    );
  });
});

describe('fail open (PM_POLICY_FAIL_OPEN=true)', () => {
  it('is read from the environment', () => {
    expect(failOpenFromEnv({ PM_POLICY_FAIL_OPEN: 'true' })).toBe(true);
    expect(failOpenFromEnv({ PM_POLICY_FAIL_OPEN: '1' })).toBe(false);
    expect(failOpenFromEnv({})).toBe(false);
  });

  it('allows on an engine failure and records policy.fail_open', async () => {
    const { a, audit } = authorizer({ engine: throwing, failOpen: true });
    expect(await a.authorize(send)).toEqual({
      allowed: true,
      policyVersion: 3,
      reasons: [],
      errors: ['Cedar threw: wasm trap: unreachable'],
      cached: false,
    });
    expect(audit.events).toEqual([
      {
        actor: 'alice',
        action: AUDIT_ACTIONS.policyFailOpen,
        target: 'bob',
        outcome: 'success',
        reason: 'Cedar threw: wasm trap: unreachable',
        details: { action: 'SendMessage', policyVersion: '3' },
      },
    ]);
    expect(a.stats()).toMatchObject({ allows: 1, errors: 1, failOpenAllows: 1, denies: 0 });
  });

  it('allows on an evaluation error and on a timeout, audited each time', async () => {
    const { a, audit } = authorizer({ failOpen: true }, ERRORING);
    expect((await a.authorize(send)).allowed).toBe(true);
    let t = 0;
    const slow = authorizer({ failOpen: true, decisionTimeoutMs: 1, clock: () => (t += 2) });
    expect((await slow.a.authorize(send)).allowed).toBe(true);
    expect([...audit.actions(), ...slow.audit.actions()]).toEqual([
      AUDIT_ACTIONS.policyFailOpen,
      AUDIT_ACTIONS.policyFailOpen,
    ]);
  });

  it('never allows a clean deny', async () => {
    const { a, audit } = authorizer({ failOpen: true });
    const publish = onChannel(agent('carol'), 'Publish', {
      owner: 'alice',
      policy: 'private',
      allowlist: [],
    });
    expect(await a.authorize(publish)).toEqual({
      allowed: false,
      policyVersion: 3,
      reasons: [],
      errors: [],
      cached: false,
    });
    expect(audit.events[0]).toMatchObject({ action: 'policy.denied', reason: 'no policy permits' });
  });

  it('never allows a request the schema rules out (an operator subscribing)', async () => {
    const { a } = authorizer({ engine: throwing, failOpen: true });
    const subscribe = onChannel(operator('ops'), 'Subscribe', {
      owner: 'alice',
      policy: 'open',
      allowlist: [],
    });
    expect((await a.authorize(subscribe)).allowed).toBe(false);
  });

  it('never allows a malformed request', async () => {
    const { a } = authorizer({ engine: throwing, failOpen: true });
    const cases = [
      [{ ...send, context: { priority: 'normal' } }, 'SendMessage needs context.cleartext (Bool)'],
      [
        { ...send, context: sendContext({ sizeBytes: 1.5 }) },
        'context.sizeBytes must be an integer (Cedar Long), got 1.5',
      ],
      [
        { ...send, context: sendContext({ cleartext: 'no' }) },
        'SendMessage context.cleartext must be a Bool, got "no"',
      ],
      [{ ...send, context: sendContext({ extra: 1 }) }, 'SendMessage has no context field extra'],
      [
        { ...send, principal: { type: 'Robot', id: 'r' } },
        'principal.type must be Agent, Operator, Channel or Platform, got Robot',
      ],
      [{ ...send, resource: { type: 'Agent', id: '' } }, 'resource.id must be a non-empty string'],
      [{ ...send, action: 'Teleport' }, 'unknown action Teleport'],
      [
        { principal: agent('alice'), action: 'Subscribe', resource: { type: 'Channel', id: 'c9' } },
        'resource channel c9 needs resourceAttributes',
      ],
    ] as const;
    for (const [request, error] of cases) {
      // biome-ignore lint/suspicious/noExplicitAny: deliberately malformed requests
      expect(await a.authorize(request as any)).toEqual({
        allowed: false,
        policyVersion: 3,
        reasons: [],
        errors: [error],
        cached: false,
      });
    }
  });
});
