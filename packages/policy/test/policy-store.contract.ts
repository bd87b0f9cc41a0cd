/**
 * The PolicyStore contract: consecutive versions, publish activates, bootstrap only once (also
 * when two instances race), activate any stored version, NotFound for others, newest-first
 * paging with tokens, and both instances see the same pointer.
 */
import { createHash } from 'node:crypto';
import { InvalidArgumentError, NotFoundError } from '@proof-messenger/errors';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type PolicyStore, SqlPolicyStore } from '../src/index.ts';
import type { OpenBackend } from './backends.ts';

const draft = (n: number, author = `operator:op${n}`) => ({
  text: `// policy ${n}\n`,
  author,
  comment: `change ${n}`,
  atMs: 1_000 + n,
});

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (e: unknown) => e,
  );
}

export function policyStoreContract(open: OpenBackend): void {
  describe('PolicyStore contract', () => {
    let store: PolicyStore;
    let other: PolicyStore;
    let close: () => Promise<void>;

    beforeEach(async () => {
      const opened = await open();
      store = new SqlPolicyStore(opened.dbs[0]);
      other = new SqlPolicyStore(opened.dbs[1]);
      close = opened.close;
    });
    afterEach(async () => {
      await close();
    });

    it('starts empty', async () => {
      expect(await store.active()).toBeUndefined();
      expect(await store.get(1)).toBeUndefined();
      expect(await store.list(0, '')).toEqual({ versions: [], nextPageToken: '' });
    });

    it('publishes consecutive versions and activates each', async () => {
      const v1 = await store.publish(draft(1));
      expect(v1).toEqual({
        version: 1,
        sha256: createHash('sha256').update('// policy 1\n').digest('hex'),
        author: 'operator:op1',
        comment: 'change 1',
        createdAtMs: 1001,
        active: true,
        text: '// policy 1\n',
      });
      const v2 = await other.publish(draft(2));
      expect(v2.version).toBe(2);
      expect(await store.active()).toEqual({
        version: 2,
        changedAtMs: 1002,
        changedBy: 'operator:op2',
      });
      expect(await store.get(1)).toEqual({ ...v1, active: false });
      expect(await other.get(2)).toEqual(v2);
    });

    it('numbers concurrent publishes from two instances without gaps or duplicates', async () => {
      const published = await Promise.all(
        Array.from({ length: 6 }, (_, i) => (i % 2 === 0 ? store : other).publish(draft(i + 1))),
      );
      expect(published.map((p) => p.version).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6]);
      const active = await store.active();
      expect(active?.version).toBeGreaterThanOrEqual(1);
    });

    it('bootstraps version 1 once, even when two instances race', async () => {
      const results = await Promise.all([
        store.bootstrap(draft(1, 'system')),
        other.bootstrap(draft(1, 'system')),
      ]);
      expect(results.sort()).toEqual([false, true]);
      expect(await store.bootstrap(draft(9))).toBe(false);
      expect((await store.list(0, '')).versions.map((v) => v.version)).toEqual([1]);
      expect(await other.active()).toEqual({ version: 1, changedAtMs: 1001, changedBy: 'system' });
    });

    it('activates any stored version (rollback and forward), seen by the other instance', async () => {
      await store.publish(draft(1));
      await store.publish(draft(2));
      expect(await store.activate(1, 'operator:rollback', 5000)).toEqual({
        version: 1,
        changedAtMs: 5000,
        changedBy: 'operator:rollback',
      });
      expect(await other.active()).toEqual({
        version: 1,
        changedAtMs: 5000,
        changedBy: 'operator:rollback',
      });
      expect((await other.get(1))?.active).toBe(true);
      expect((await other.get(2))?.active).toBe(false);
      await other.activate(2, 'operator:forward', 6000);
      expect((await store.active())?.version).toBe(2);
    });

    it('refuses to activate a version never stored', async () => {
      await store.publish(draft(1));
      const error = await rejection(store.activate(5, 'operator:x', 1));
      expect(error).toBeInstanceOf(NotFoundError);
      expect((error as Error).message).toBe('policy version 5 is not stored');
      expect((await store.active())?.version).toBe(1);
    });

    it('lists newest first in pages, without text', async () => {
      for (let n = 1; n <= 5; n += 1) await store.publish(draft(n));
      const first = await store.list(2, '');
      expect(first.versions.map((v) => [v.version, v.active])).toEqual([
        [5, true],
        [4, false],
      ]);
      expect(first.versions[0]).not.toHaveProperty('text');
      expect(first.nextPageToken).toBe('4');
      const second = await other.list(2, first.nextPageToken);
      expect(second.versions.map((v) => v.version)).toEqual([3, 2]);
      const last = await other.list(2, second.nextPageToken);
      expect(last).toEqual({
        versions: [
          {
            version: 1,
            sha256: (await store.get(1))?.sha256,
            author: 'operator:op1',
            comment: 'change 1',
            createdAtMs: 1001,
            active: false,
          },
        ],
        nextPageToken: '',
      });
      expect((await store.list(0, '')).versions).toHaveLength(5);
    });

    it('refuses bad page sizes and tokens', async () => {
      for (const [size, token, message] of [
        [101, '', 'page_size must be 0-100, got 101'],
        [-1, '', 'page_size must be 0-100, got -1'],
        [10, 'abc', 'page_token is not one this service issued'],
        [10, '0', 'page_token is not one this service issued'],
      ] as const) {
        const error = await rejection(store.list(size, token));
        expect(error).toBeInstanceOf(InvalidArgumentError);
        expect((error as Error).message).toBe(message);
      }
    });
  });
}
