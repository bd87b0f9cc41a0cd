/** Access tokens, operator credentials and caller resolution: every rejection path with its message. */
import { Code } from '@proof-messenger/errors';
import { describe, expect, it } from 'vitest';
import {
  AccessTokens,
  CallerAuthenticator,
  OperatorCredentials,
  requireOperator,
  requireSelf,
} from '../src/index.ts';

const secret = new Uint8Array(32).fill(1);
const tokens = new AccessTokens(secret);

describe('AccessTokens', () => {
  it('issues tokens that verify until they expire', () => {
    const { token, expiresAtMs } = tokens.issue('agent-a', 'KEYID', 1000, 60_000);
    expect(expiresAtMs).toBe(61_000);
    expect(tokens.verify(token, 60_999)).toEqual({
      sub: 'agent-a',
      kid: 'KEYID',
      iat: 1000,
      exp: 61_000,
    });
    expect(() => tokens.verify(token, 61_000)).toThrow(
      'access token expired at 1970-01-01T00:01:01.000Z',
    );
  });

  it('refuses forged, altered and malformed tokens', () => {
    const { token } = tokens.issue('agent-a', 'KEYID', 1000, 60_000);
    const forged = new AccessTokens(new Uint8Array(32).fill(2)).issue(
      'agent-a',
      'KEYID',
      1000,
      60_000,
    ).token;
    expect(() => tokens.verify(forged, 2000)).toThrow('access token signature is invalid');
    const [prefix, claims, mac] = token.split('.');
    const altered = `${prefix}.${Buffer.from(JSON.stringify({ sub: 'agent-b', kid: 'KEYID', iat: 1000, exp: 61_000 })).toString('base64url')}.${mac}`;
    expect(claims).toBeDefined();
    expect(() => tokens.verify(altered, 2000)).toThrow('access token signature is invalid');
    expect(() => tokens.verify('nonsense', 2000)).toThrow('access token is malformed');
    expect(() => new AccessTokens(new Uint8Array(16))).toThrow(
      'the access token secret must be at least 32 bytes',
    );
  });
});

describe('OperatorCredentials', () => {
  it('matches generated credentials and nothing else', () => {
    const alice = OperatorCredentials.generate('alice');
    const bob = OperatorCredentials.generate('bob');
    const set = OperatorCredentials.parse(`${alice.entry}, ${bob.entry}`);
    expect(set.match(alice.credential)).toBe('alice');
    expect(set.match(bob.credential)).toBe('bob');
    expect(set.match(`${alice.credential}x`)).toBeUndefined();
    expect(() => OperatorCredentials.parse('alice:1234')).toThrow(
      'operator credential entry "alice:1234" must be name:sha256hex',
    );
  });
});

describe('CallerAuthenticator', () => {
  const ops = OperatorCredentials.generate('ops');
  let active = true;
  const authenticator = new CallerAuthenticator({
    tokens,
    operators: OperatorCredentials.parse(ops.entry),
    isKeyActive: async () => active,
    now: () => 2000,
  });
  const { token } = tokens.issue('agent-a', 'KEYID', 1000, 60_000);

  it('resolves agents and operators', async () => {
    active = true;
    expect(await authenticator.authenticate(`Bearer ${token}`)).toEqual({
      kind: 'agent',
      agentId: 'agent-a',
      keyId: 'KEYID',
    });
    expect(await authenticator.authenticate(`Operator ${ops.credential}`)).toEqual({
      kind: 'operator',
      name: 'ops',
    });
  });

  it('refuses missing, unknown-scheme, wrong-operator and inactive-key calls with UNAUTHENTICATED', async () => {
    await expect(authenticator.authenticate(undefined)).rejects.toMatchObject({
      code: Code.UNAUTHENTICATED,
      message: expect.stringContaining('missing authorization metadata'),
    });
    await expect(authenticator.authenticate('Basic abc')).rejects.toThrow(
      'unsupported authorization scheme "Basic"',
    );
    await expect(authenticator.authenticate('Operator pmop_nope')).rejects.toThrow(
      'operator credential is not recognized',
    );
    active = false;
    await expect(authenticator.authenticate(`Bearer ${token}`)).rejects.toThrow(
      'identity key KEYID of agent-a is no longer active (rotated or revoked)',
    );
  });

  it('lets agents act only for themselves', () => {
    const agent = { kind: 'agent', agentId: 'agent-a', keyId: 'K' } as const;
    const operator = { kind: 'operator', name: 'ops' } as const;
    expect(() => requireSelf(agent, 'agent-a', 'rotate keys')).not.toThrow();
    expect(() => requireSelf(agent, 'agent-b', 'rotate keys')).toThrow(
      'agent-a may not rotate keys: only agent agent-b itself may',
    );
    expect(() => requireSelf(operator, 'agent-b', 'revoke keys', true)).not.toThrow();
    expect(() => requireOperator(agent, 'issue enrollment credentials')).toThrow(
      'agent-a may not issue enrollment credentials: operators only',
    );
  });
});
