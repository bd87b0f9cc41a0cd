/**
 * The IdentityStore contract: every adapter (SQLite, PostgreSQL, PostgreSQL behind the Redis
 * cache) must pass it. Times are explicit milliseconds; sizes are the real ML-DSA-65 (1952) and
 * Ed25519 (32) public key sizes.
 */
import {
  AlreadyExistsError,
  KeyExpiredError,
  KeyRevokedError,
  NotFoundError,
} from '@proof-messenger/errors';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type {
  IdentityKeyRecord,
  IdentityRecord,
  IdentityStore,
  NewIdentityKey,
} from '../../src/ports/identity-store.ts';
import { bytes, expectError, type OpenStore } from './store-target.ts';

function newKey(n: number): NewIdentityKey {
  return { keyId: `key-${n}`, mlDsa65: bytes(n, 1952), ed25519: bytes(n + 1000, 32) };
}

function keyRecord(
  agentId: string,
  n: number,
  fields: Partial<IdentityKeyRecord> & Pick<IdentityKeyRecord, 'notBeforeMs'>,
): IdentityKeyRecord {
  return {
    agentId,
    ...newKey(n),
    state: 'current',
    notAfterMs: null,
    revokedAtMs: null,
    revocationReason: '',
    ...fields,
  };
}

function liveIdentity(
  agentId: string,
  registeredAtMs: number,
  currentKey: IdentityKeyRecord,
): IdentityRecord {
  return {
    agentId,
    registeredAtMs,
    revoked: false,
    revokedAtMs: null,
    revocationReason: '',
    currentKey,
  };
}

export function identityStoreContract(open: OpenStore<IdentityStore>): void {
  describe('IdentityStore contract', () => {
    let store: IdentityStore;
    let other: IdentityStore;
    let close: () => Promise<void>;

    beforeEach(async () => {
      ({ store, other, close } = await open());
    });
    afterEach(async () => {
      await close();
    });

    it('registers an identity with its first key and reads it back exactly', async () => {
      const expected = liveIdentity('alice', 1000, keyRecord('alice', 1, { notBeforeMs: 1000 }));
      expect(await store.register('alice', newKey(1), 1000)).toEqual(expected);
      expect(await store.get('alice')).toEqual(expected);
      expect(await other.get('alice')).toEqual(expected);
      expect(await store.history('alice')).toEqual([expected.currentKey]);
      expect(await store.findKey('alice', 'key-1')).toEqual(expected.currentKey);
    });

    it('answers undefined or empty for unknown agents and keys', async () => {
      await store.register('alice', newKey(1), 1000);
      expect(await store.get('nobody')).toBeUndefined();
      expect(await store.history('nobody')).toEqual([]);
      expect(await store.findKey('nobody', 'key-1')).toBeUndefined();
      expect(await store.findKey('alice', 'key-2')).toBeUndefined();
      // Key ids are global, but a key is only found under its own agent.
      expect(await store.findKey('bob', 'key-1')).toBeUndefined();
    });

    it('refuses a taken agent id and leaves the first registration as it was', async () => {
      const first = await store.register('alice', newKey(1), 1000);
      await expectError(
        other.register('alice', newKey(2), 2000),
        AlreadyExistsError,
        'agent alice is already registered',
      );
      expect(await store.get('alice')).toEqual(first);
      expect(await store.findKey('alice', 'key-2')).toBeUndefined();
    });

    it('refuses a key id registered by anyone, without creating the agent', async () => {
      await store.register('alice', newKey(1), 1000);
      await expectError(
        store.register('bob', newKey(1), 2000),
        AlreadyExistsError,
        'key id key-1 is already registered',
      );
      expect(await store.get('bob')).toBeUndefined();
      expect(await store.history('bob')).toEqual([]);
    });

    it('lets exactly one of concurrent registrations of one agent id win', async () => {
      const attempts = await Promise.allSettled(
        Array.from({ length: 8 }, (_, i) =>
          (i % 2 === 0 ? store : other).register('alice', newKey(10 + i), 1000 + i),
        ),
      );
      const won = attempts.filter((a) => a.status === 'fulfilled');
      expect(won).toHaveLength(1);
      for (const attempt of attempts) {
        if (attempt.status === 'rejected') {
          expect(attempt.reason).toBeInstanceOf(AlreadyExistsError);
        }
      }
      expect(await store.history('alice')).toHaveLength(1);
    });

    it('rotates: the new key becomes current, the previous one superseded at that instant', async () => {
      await store.register('alice', newKey(1), 1000);
      const rotated = await other.rotate('alice', 'key-1', newKey(2), 2000);
      const current = keyRecord('alice', 2, { notBeforeMs: 2000 });
      expect(rotated).toEqual(liveIdentity('alice', 1000, current));
      expect(await store.get('alice')).toEqual(rotated);
      expect(await store.findKey('alice', 'key-1')).toEqual(
        keyRecord('alice', 1, { state: 'superseded', notBeforeMs: 1000, notAfterMs: 2000 }),
      );
    });

    it('lists history oldest first with each key’s notBefore/notAfter window', async () => {
      await store.register('alice', newKey(1), 1000);
      await store.rotate('alice', 'key-1', newKey(2), 2000);
      await other.rotate('alice', 'key-2', newKey(3), 3500);
      await store.rotate('alice', 'key-3', newKey(4), 4000);
      expect(await other.history('alice')).toEqual([
        keyRecord('alice', 1, { state: 'superseded', notBeforeMs: 1000, notAfterMs: 2000 }),
        keyRecord('alice', 2, { state: 'superseded', notBeforeMs: 2000, notAfterMs: 3500 }),
        keyRecord('alice', 3, { state: 'superseded', notBeforeMs: 3500, notAfterMs: 4000 }),
        keyRecord('alice', 4, { notBeforeMs: 4000 }),
      ]);
    });

    it('refuses a rotation from a key that is no longer current, and changes nothing', async () => {
      await store.register('alice', newKey(1), 1000);
      await store.rotate('alice', 'key-1', newKey(2), 2000);
      const before = { identity: await store.get('alice'), history: await store.history('alice') };
      await expectError(
        other.rotate('alice', 'key-1', newKey(3), 3000),
        KeyExpiredError,
        'key key-1 is not the current key of agent alice; fetch the identity and rotate from its current key',
      );
      await expectError(
        store.rotate('alice', 'key-unknown', newKey(3), 3000),
        KeyExpiredError,
        'key key-unknown is not the current key of agent alice; fetch the identity and rotate from its current key',
      );
      expect({ identity: await store.get('alice'), history: await store.history('alice') }).toEqual(
        before,
      );
      expect(await store.findKey('alice', 'key-3')).toBeUndefined();
    });

    it('refuses rotating to a key id that exists, and keeps the previous key current', async () => {
      await store.register('alice', newKey(1), 1000);
      await store.register('bob', newKey(7), 1000);
      const before = await store.history('alice');
      await expectError(
        store.rotate('alice', 'key-1', newKey(7), 2000),
        AlreadyExistsError,
        'key id key-7 is already registered',
      );
      await expectError(
        store.rotate('alice', 'key-1', newKey(1), 2000),
        AlreadyExistsError,
        'key id key-1 is already registered',
      );
      expect(await store.history('alice')).toEqual(before);
      expect((await store.get('alice'))?.currentKey?.keyId).toBe('key-1');
    });

    it('refuses rotating an unknown or revoked identity', async () => {
      await expectError(
        store.rotate('nobody', 'key-1', newKey(2), 2000),
        NotFoundError,
        'agent nobody is not registered',
      );
      await store.register('alice', newKey(1), 1000);
      await store.revokeIdentity('alice', 'compromised', 1500);
      await expectError(
        store.rotate('alice', 'key-1', newKey(2), 2000),
        KeyRevokedError,
        'agent alice is revoked; register a new identity',
      );
      expect(await store.findKey('alice', 'key-2')).toBeUndefined();
    });

    it('lets exactly one of concurrent rotations from the same key win', async () => {
      await store.register('alice', newKey(1), 1000);
      const attempts = await Promise.allSettled(
        Array.from({ length: 10 }, (_, i) =>
          (i % 2 === 0 ? store : other).rotate('alice', 'key-1', newKey(100 + i), 2000 + i),
        ),
      );
      const won = attempts.flatMap((a) => (a.status === 'fulfilled' ? [a.value] : []));
      expect(won).toHaveLength(1);
      for (const attempt of attempts) {
        if (attempt.status === 'rejected') {
          expect(attempt.reason).toBeInstanceOf(KeyExpiredError);
        }
      }
      const winner = won[0]?.currentKey?.keyId;
      const history = await store.history('alice');
      expect(history.map((k) => [k.keyId, k.state])).toEqual([
        ['key-1', 'superseded'],
        [winner, 'current'],
      ]);
    });

    it('revoking the current key revokes the identity', async () => {
      await store.register('alice', newKey(1), 1000);
      await store.rotate('alice', 'key-1', newKey(2), 2000);
      await other.revokeKey('alice', 'key-2', 'key leaked', 3000);
      expect(await store.get('alice')).toEqual({
        agentId: 'alice',
        registeredAtMs: 1000,
        revoked: true,
        revokedAtMs: 3000,
        revocationReason: 'key leaked',
        currentKey: null,
      });
      expect(await store.history('alice')).toEqual([
        keyRecord('alice', 1, { state: 'superseded', notBeforeMs: 1000, notAfterMs: 2000 }),
        keyRecord('alice', 2, {
          state: 'revoked',
          notBeforeMs: 2000,
          notAfterMs: 3000,
          revokedAtMs: 3000,
          revocationReason: 'key leaked',
        }),
      ]);
      await expectError(
        store.rotate('alice', 'key-2', newKey(3), 4000),
        KeyRevokedError,
        'agent alice is revoked; register a new identity',
      );
    });

    it('revoking a superseded key keeps its earlier notAfter and the identity alive', async () => {
      await store.register('alice', newKey(1), 1000);
      const rotated = await store.rotate('alice', 'key-1', newKey(2), 2000);
      await store.revokeKey('alice', 'key-1', 'old laptop lost', 5000);
      expect(await store.findKey('alice', 'key-1')).toEqual(
        keyRecord('alice', 1, {
          state: 'revoked',
          notBeforeMs: 1000,
          notAfterMs: 2000,
          revokedAtMs: 5000,
          revocationReason: 'old laptop lost',
        }),
      );
      expect(await store.get('alice')).toEqual(rotated);
    });

    it('revoking a key twice keeps the first revocation', async () => {
      await store.register('alice', newKey(1), 1000);
      await store.rotate('alice', 'key-1', newKey(2), 2000);
      await store.revokeKey('alice', 'key-1', 'first', 3000);
      await store.revokeKey('alice', 'key-1', 'second', 4000);
      const key = await store.findKey('alice', 'key-1');
      expect([key?.revokedAtMs, key?.revocationReason, key?.notAfterMs]).toEqual([
        3000,
        'first',
        2000,
      ]);
    });

    it('refuses revoking an unknown agent or key', async () => {
      await expectError(
        store.revokeKey('nobody', 'key-1', 'x', 1000),
        NotFoundError,
        'agent nobody is not registered',
      );
      await store.register('alice', newKey(1), 1000);
      await store.register('bob', newKey(2), 1000);
      await expectError(
        store.revokeKey('alice', 'key-2', 'x', 2000),
        NotFoundError,
        'key key-2 is not a key of agent alice',
      );
      expect((await store.findKey('bob', 'key-2'))?.state).toBe('current');
      await expectError(
        store.revokeIdentity('nobody', 'x', 1000),
        NotFoundError,
        'agent nobody is not registered',
      );
    });

    it('revoking the identity revokes every key and keeps the first revocation', async () => {
      await store.register('alice', newKey(1), 1000);
      await store.rotate('alice', 'key-1', newKey(2), 2000);
      await store.revokeKey('alice', 'key-1', 'lost', 2500);
      await other.revokeIdentity('alice', 'agent retired', 3000);
      await store.revokeIdentity('alice', 'again', 4000);
      expect(await store.get('alice')).toEqual({
        agentId: 'alice',
        registeredAtMs: 1000,
        revoked: true,
        revokedAtMs: 3000,
        revocationReason: 'agent retired',
        currentKey: null,
      });
      expect(await other.history('alice')).toEqual([
        keyRecord('alice', 1, {
          state: 'revoked',
          notBeforeMs: 1000,
          notAfterMs: 2000,
          revokedAtMs: 2500,
          revocationReason: 'lost',
        }),
        keyRecord('alice', 2, {
          state: 'revoked',
          notBeforeMs: 2000,
          notAfterMs: 3000,
          revokedAtMs: 3000,
          revocationReason: 'agent retired',
        }),
      ]);
    });

    it('keeps agents apart', async () => {
      await store.register('alice', newKey(1), 1000);
      const bob = await store.register('bob', newKey(2), 1100);
      await store.revokeIdentity('alice', 'gone', 2000);
      expect(await other.get('bob')).toEqual(bob);
      expect(await other.history('bob')).toEqual([bob.currentKey]);
    });
  });
}
