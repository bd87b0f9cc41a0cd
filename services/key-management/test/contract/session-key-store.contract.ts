/**
 * The SessionKeyStore contract: rotation with grace periods, listing at a given instant, expiry
 * of ended grace keys, and the rotation schedule claimed exactly once across two instances.
 */
import { AlreadyExistsError } from '@proof-messenger/errors';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type {
  DueRotation,
  RotateSessionInput,
  SessionKeyRecord,
  SessionKeyStore,
} from '../../src/ports/session-key-store.ts';
import { bytes, expectError, type OpenStore } from './store-target.ts';

const GRACE = 10_000;

function input(n: number, fields: Partial<RotateSessionInput> = {}): RotateSessionInput {
  return {
    ownerId: 'alice',
    peerId: 'bob',
    keyId: `sk-${n}`,
    statement: bytes(n, 200),
    schedule: 2,
    nowMs: 1000 * n,
    graceMs: GRACE,
    nextRotationAtMs: null,
    ...fields,
  };
}

function record(n: number, fields: Partial<SessionKeyRecord> = {}): SessionKeyRecord {
  return {
    ownerId: 'alice',
    peerId: 'bob',
    keyId: `sk-${n}`,
    statement: bytes(n, 200),
    schedule: 2,
    createdAtMs: 1000 * n,
    current: true,
    graceEndsAtMs: null,
    ...fields,
  };
}

function dueKey(d: DueRotation): string {
  return `${d.ownerId}->${d.peerId}`;
}

export function sessionKeyStoreContract(open: OpenStore<SessionKeyStore>): void {
  describe('SessionKeyStore contract', () => {
    let store: SessionKeyStore;
    let other: SessionKeyStore;
    let close: () => Promise<void>;

    beforeEach(async () => {
      ({ store, other, close } = await open());
    });
    afterEach(async () => {
      await close();
    });

    it('installs the first key with no previous grace', async () => {
      expect(await store.rotate(input(1))).toEqual({ previousGraceEndsAtMs: null });
      expect(await other.list('alice', 'bob', 1000)).toEqual([record(1)]);
      expect(await store.list('bob', 'alice', 1000)).toEqual([]);
    });

    it('moves the previous key into its grace period and lists current first', async () => {
      await store.rotate(input(1));
      await store.rotate(input(2));
      expect(await other.rotate(input(3))).toEqual({ previousGraceEndsAtMs: 3000 + GRACE });
      // Each key's grace runs from the rotation that superseded it.
      const grace1 = record(1, { current: false, graceEndsAtMs: 2000 + GRACE });
      const grace2 = record(2, { current: false, graceEndsAtMs: 3000 + GRACE });
      expect(await store.list('alice', 'bob', 3000)).toEqual([record(3), grace2, grace1]);
      // A grace key is listed until (not at) its grace end.
      expect(await store.list('alice', 'bob', 2000 + GRACE - 1)).toEqual([
        record(3),
        grace2,
        grace1,
      ]);
      expect(await store.list('alice', 'bob', 2000 + GRACE)).toEqual([record(3), grace2]);
      expect(await store.list('alice', 'bob', 3000 + GRACE)).toEqual([record(3)]);
    });

    it('ends the previous key at once with graceMs 0 (emergency rotation)', async () => {
      await store.rotate(input(1));
      expect(await store.rotate(input(2, { graceMs: 0 }))).toEqual({ previousGraceEndsAtMs: 2000 });
      expect(await store.list('alice', 'bob', 2000)).toEqual([record(2)]);
    });

    it('refuses a key id the session already has, and changes nothing', async () => {
      await store.rotate(input(1));
      await store.rotate(input(2));
      const before = await store.list('alice', 'bob', 2000);
      await expectError(
        other.rotate(input(1, { nowMs: 3000 })),
        AlreadyExistsError,
        'key sk-1 is already a key of the session alice->bob',
      );
      await expectError(
        store.rotate(input(2, { nowMs: 3000 })),
        AlreadyExistsError,
        'key sk-2 is already a key of the session alice->bob',
      );
      expect(await store.list('alice', 'bob', 2000)).toEqual(before);
      // The same key id in another session is fine.
      expect(await store.rotate(input(1, { peerId: 'carol' }))).toEqual({
        previousGraceEndsAtMs: null,
      });
    });

    it('keeps one current key when one session is rotated concurrently on two instances', async () => {
      await store.rotate(input(1));
      const results = await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          (i % 2 === 0 ? store : other).rotate(input(10 + i, { nowMs: 5000 })),
        ),
      );
      expect(results.every((r) => r.previousGraceEndsAtMs === 5000 + GRACE)).toBe(true);
      const listed = await store.list('alice', 'bob', 5000);
      expect(listed).toHaveLength(7);
      expect(listed.filter((k) => k.current)).toHaveLength(1);
    });

    it('deletes grace keys whose grace ended, and only those', async () => {
      await store.rotate(input(1));
      await store.rotate(input(2));
      await store.rotate(input(3));
      expect(await store.expireGraceKeys(2000 + GRACE - 1)).toBe(0);
      expect(await other.expireGraceKeys(2000 + GRACE)).toBe(1);
      expect(await store.expireGraceKeys(2000 + GRACE)).toBe(0);
      expect(await store.list('alice', 'bob', 0)).toEqual([
        record(3),
        record(2, { current: false, graceEndsAtMs: 3000 + GRACE }),
      ]);
      expect(await store.expireGraceKeys(Number.MAX_SAFE_INTEGER)).toBe(1);
      expect(await store.list('alice', 'bob', 0)).toEqual([record(3)]);
    });

    it('claims due sessions, records notices and reminds after retryMs', async () => {
      await store.rotate(input(1, { nextRotationAtMs: 5000 }));
      await store.rotate(input(2, { peerId: 'carol', nextRotationAtMs: 6000 }));
      await store.rotate(input(3, { peerId: 'dave', nextRotationAtMs: null }));
      expect(await store.claimDueRotations(4999, 10, 1000)).toEqual([]);
      expect(await other.claimDueRotations(5500, 10, 1000)).toEqual([
        { ownerId: 'alice', peerId: 'bob', keyId: 'sk-1', schedule: 2, dueAtMs: 5000 },
      ]);
      expect(await store.claimDueRotations(5500, 10, 1000)).toEqual([]);
      // bob's session was pushed to 5500 + 1000; carol's is due at 6000.
      expect(await store.claimDueRotations(6500, 10, 1000)).toEqual([
        { ownerId: 'alice', peerId: 'carol', keyId: 'sk-2', schedule: 2, dueAtMs: 6000 },
        { ownerId: 'alice', peerId: 'bob', keyId: 'sk-1', schedule: 2, dueAtMs: 6500 },
      ]);
      const notices = await other.listNotices('alice');
      expect(notices.map(({ noticeId: _, ...n }) => n)).toEqual([
        { ownerId: 'alice', peerId: 'bob', keyId: 'sk-1', dueAtMs: 5000, createdAtMs: 5500 },
        { ownerId: 'alice', peerId: 'carol', keyId: 'sk-2', dueAtMs: 6000, createdAtMs: 6500 },
        { ownerId: 'alice', peerId: 'bob', keyId: 'sk-1', dueAtMs: 6500, createdAtMs: 6500 },
      ]);
      expect(new Set(notices.map((n) => n.noticeId)).size).toBe(3);
      expect(notices.every((n) => typeof n.noticeId === 'string' && n.noticeId.length > 0)).toBe(
        true,
      );
      expect(await store.listNotices('bob')).toEqual([]);
    });

    it('never claims on-demand sessions', async () => {
      await store.rotate(input(1, { nextRotationAtMs: null }));
      await store.rotate(input(2, { nextRotationAtMs: null }));
      expect(await store.claimDueRotations(Number.MAX_SAFE_INTEGER - 10, 10, 1)).toEqual([]);
      expect(await store.listNotices('alice')).toEqual([]);
    });

    it('claims at most limit sessions, earliest due first', async () => {
      for (let n = 1; n <= 5; n++) {
        await store.rotate(input(n, { peerId: `peer-${n}`, nextRotationAtMs: 10_000 - n }));
      }
      const first = await store.claimDueRotations(20_000, 2, 60_000);
      expect(first.map((d) => [d.peerId, d.dueAtMs])).toEqual([
        ['peer-5', 9995],
        ['peer-4', 9996],
      ]);
      expect((await store.claimDueRotations(20_000, 10, 60_000)).map((d) => d.peerId)).toEqual([
        'peer-3',
        'peer-2',
        'peer-1',
      ]);
      expect(await store.claimDueRotations(20_000, 0, 60_000)).toEqual([]);
    });

    it('rotating a session clears its notices and takes the new schedule', async () => {
      await store.rotate(input(1, { nextRotationAtMs: 5000 }));
      await store.rotate(input(2, { peerId: 'carol', nextRotationAtMs: 5000 }));
      await store.claimDueRotations(5000, 10, 1000);
      expect(await store.listNotices('alice')).toHaveLength(2);
      await other.rotate(input(3, { nowMs: 5200, nextRotationAtMs: 9000 }));
      expect((await store.listNotices('alice')).map((n) => n.peerId)).toEqual(['carol']);
      expect(await store.claimDueRotations(8999, 10, 1000)).toEqual([
        { ownerId: 'alice', peerId: 'carol', keyId: 'sk-2', schedule: 2, dueAtMs: 6000 },
      ]);
      expect(await store.claimDueRotations(9000, 10, 1000)).toEqual([
        { ownerId: 'alice', peerId: 'bob', keyId: 'sk-3', schedule: 2, dueAtMs: 9000 },
      ]);
    });

    it('claims each due session exactly once when two instances run at the same moment', async () => {
      const sessions = 40;
      for (let n = 0; n < sessions; n++) {
        await store.rotate(input(n, { peerId: `peer-${n}`, nowMs: 0, nextRotationAtMs: 1000 + n }));
      }
      const claimAll = async (instance: SessionKeyStore) => {
        const claimed: DueRotation[] = [];
        for (;;) {
          const batch = await instance.claimDueRotations(5000, 3, 60_000);
          if (batch.length === 0) return claimed;
          claimed.push(...batch);
        }
      };
      const [a, b, c, d] = await Promise.all([
        claimAll(store),
        claimAll(other),
        claimAll(store),
        claimAll(other),
      ]);
      const all = [...(a ?? []), ...(b ?? []), ...(c ?? []), ...(d ?? [])];
      expect(all).toHaveLength(sessions);
      expect(new Set(all.map(dueKey)).size).toBe(sessions);
      const notices = await store.listNotices('alice');
      expect(notices).toHaveLength(sessions);
      expect(new Set(notices.map((n) => n.peerId)).size).toBe(sessions);
    });

    it('refuses a non-positive retry and a negative limit or grace', async () => {
      await expect(store.claimDueRotations(0, 10, 0)).rejects.toThrow(
        new RangeError('retryMs must be an integer of at least 1, got 0'),
      );
      await expect(store.claimDueRotations(0, -1, 10)).rejects.toThrow(
        new RangeError('limit must be an integer of at least 0, got -1'),
      );
      await expect(store.rotate(input(1, { graceMs: -1 }))).rejects.toThrow(
        new RangeError('graceMs must be an integer of at least 0, got -1'),
      );
    });
  });
}
