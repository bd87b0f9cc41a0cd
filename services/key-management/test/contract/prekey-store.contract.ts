/**
 * The PrekeyStore contract: signed prekeys replace each other, one-time prekeys are handed out
 * oldest first and each at most once, across concurrent callers on two instances.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { OneTimePrekey, PrekeyStore } from '../../src/ports/prekey-store.ts';
import { bytes, type OpenStore } from './store-target.ts';

/** A one-time prekey with a statement the size of a signed ML-KEM-768 statement. */
function prekey(n: number): OneTimePrekey {
  return { keyId: `otk-${n}`, statement: bytes(n, 1300) };
}

export function prekeyStoreContract(open: OpenStore<PrekeyStore>): void {
  describe('PrekeyStore contract', () => {
    let store: PrekeyStore;
    let other: PrekeyStore;
    let close: () => Promise<void>;

    beforeEach(async () => {
      ({ store, other, close } = await open());
    });
    afterEach(async () => {
      await close();
    });

    it('stores, returns byte for byte, and replaces the signed prekey', async () => {
      expect(await store.getSignedPrekey('alice')).toBeUndefined();
      await store.putSignedPrekey('alice', 'spk-1', bytes(1, 1400), 1000);
      expect(await other.getSignedPrekey('alice')).toEqual(bytes(1, 1400));
      await other.putSignedPrekey('alice', 'spk-2', bytes(2, 1500), 2000);
      expect(await store.getSignedPrekey('alice')).toEqual(bytes(2, 1500));
      expect(await store.getSignedPrekey('bob')).toBeUndefined();
    });

    it('adds one-time prekeys, ignoring key ids already in the pool, and counts them', async () => {
      expect(await store.countOneTimePrekeys('alice')).toBe(0);
      expect(await store.addOneTimePrekeys('alice', [prekey(1), prekey(2)])).toBe(2);
      expect(
        await other.addOneTimePrekeys('alice', [
          { keyId: 'otk-2', statement: bytes(99, 8) },
          prekey(3),
        ]),
      ).toBe(3);
      expect(await store.addOneTimePrekeys('alice', [])).toBe(3);
      expect(await store.addOneTimePrekeys('bob', [prekey(1), prekey(1)])).toBe(1);
      expect(await other.countOneTimePrekeys('alice')).toBe(3);
      // The duplicate did not replace the original statement.
      expect(await store.takeOneTimePrekey('alice')).toEqual(prekey(1));
      expect(await store.takeOneTimePrekey('alice')).toEqual(prekey(2));
    });

    it('hands prekeys out oldest first, each once, then undefined', async () => {
      await store.addOneTimePrekeys('alice', [prekey(1), prekey(2)]);
      await store.addOneTimePrekeys('alice', [prekey(3)]);
      expect(await store.takeOneTimePrekey('alice')).toEqual(prekey(1));
      expect(await other.takeOneTimePrekey('alice')).toEqual(prekey(2));
      expect(await store.countOneTimePrekeys('alice')).toBe(1);
      expect(await store.takeOneTimePrekey('alice')).toEqual(prekey(3));
      expect(await store.takeOneTimePrekey('alice')).toBeUndefined();
      expect(await store.countOneTimePrekeys('alice')).toBe(0);
      expect(await store.takeOneTimePrekey('nobody')).toBeUndefined();
    });

    it('keeps agents’ pools apart', async () => {
      await store.addOneTimePrekeys('alice', [prekey(1)]);
      await store.addOneTimePrekeys('bob', [prekey(2)]);
      expect(await store.takeOneTimePrekey('bob')).toEqual(prekey(2));
      expect(await store.takeOneTimePrekey('bob')).toBeUndefined();
      expect(await store.countOneTimePrekeys('alice')).toBe(1);
    });

    it('accepts large uploads in one call', async () => {
      const many = Array.from({ length: 1200 }, (_, i) => ({
        keyId: `k${i}`,
        statement: bytes(i, 16),
      }));
      expect(await store.addOneTimePrekeys('alice', many)).toBe(1200);
      expect(await store.takeOneTimePrekey('alice')).toEqual(many[0]);
    });

    it('hands each of 30 prekeys to exactly one of 50 concurrent takers on two instances', async () => {
      const uploaded = Array.from({ length: 30 }, (_, i) => prekey(i));
      await store.addOneTimePrekeys('alice', uploaded);
      const taken = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          (i % 2 === 0 ? store : other).takeOneTimePrekey('alice'),
        ),
      );
      const handedOut = taken.flatMap((t) => (t === undefined ? [] : [t]));
      expect(handedOut).toHaveLength(30);
      expect(taken.filter((t) => t === undefined)).toHaveLength(20);
      expect(new Set(handedOut.map((p) => p.keyId)).size).toBe(30);
      const byId = (a: OneTimePrekey, b: OneTimePrekey) => a.keyId.localeCompare(b.keyId);
      expect([...handedOut].sort(byId)).toEqual([...uploaded].sort(byId));
      expect(await store.countOneTimePrekeys('alice')).toBe(0);
      expect(await other.countOneTimePrekeys('alice')).toBe(0);
    });

    it('deletes every prekey of one agent only', async () => {
      await store.putSignedPrekey('alice', 'spk-1', bytes(1, 100), 1000);
      await store.addOneTimePrekeys('alice', [prekey(1), prekey(2)]);
      await store.putSignedPrekey('bob', 'spk-2', bytes(2, 100), 1000);
      await store.addOneTimePrekeys('bob', [prekey(3)]);
      await other.deleteAll('alice');
      expect(await store.getSignedPrekey('alice')).toBeUndefined();
      expect(await store.countOneTimePrekeys('alice')).toBe(0);
      expect(await store.takeOneTimePrekey('alice')).toBeUndefined();
      expect(await store.getSignedPrekey('bob')).toEqual(bytes(2, 100));
      expect(await store.countOneTimePrekeys('bob')).toBe(1);
      await store.deleteAll('nobody');
    });
  });
}
