/**
 * The NonceStore contract. Lifetimes are checked against both clocks an adapter may use: the
 * `nowMs` passed in (SQL) and the real time (Redis), by advancing both together.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { NonceStore } from '../../src/ports/nonce-store.ts';
import type { OpenStore } from './store-target.ts';

export function nonceStoreContract(open: OpenStore<NonceStore>): void {
  describe('NonceStore contract', () => {
    let store: NonceStore;
    let other: NonceStore;
    let close: () => Promise<void>;

    beforeEach(async () => {
      ({ store, other, close } = await open());
    });
    afterEach(async () => {
      await close();
    });

    it('accepts a nonce once within its lifetime, on every instance', async () => {
      const t0 = Date.now();
      expect(await store.remember('n-1', 60_000, t0)).toBe(true);
      expect(await store.remember('n-1', 60_000, t0 + 1)).toBe(false);
      expect(await other.remember('n-1', 60_000, t0 + 2)).toBe(false);
      expect(await other.remember('n-2', 60_000, t0 + 3)).toBe(true);
    });

    it('accepts the nonce again once its lifetime has passed', async () => {
      const t0 = Date.now();
      expect(await store.remember('n-1', 150, t0)).toBe(true);
      expect(await other.remember('n-1', 150, t0 + 50)).toBe(false);
      await sleep(250);
      expect(await other.remember('n-1', 150, t0 + 250)).toBe(true);
      expect(await store.remember('n-1', 150, t0 + 260)).toBe(false);
    });

    it('gives exactly one of 20 concurrent callers true', async () => {
      const t0 = Date.now();
      const answers = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          (i % 2 === 0 ? store : other).remember('n-race', 60_000, t0),
        ),
      );
      expect(answers.filter(Boolean)).toHaveLength(1);
    });

    it('refuses a lifetime that is not positive', async () => {
      await expect(store.remember('n-1', 0, Date.now())).rejects.toThrow(
        new RangeError('ttlMs must be a positive number, got 0'),
      );
    });
  });
}
