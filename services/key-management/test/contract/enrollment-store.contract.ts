/**
 * The EnrollmentStore contract: every outcome of `consume`, and that a credential is used at most
 * once however many callers race for it on however many instances.
 */
import { AlreadyExistsError } from '@proof-messenger/errors';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EnrollmentStore } from '../../src/ports/enrollment-store.ts';
import { bytes, expectError, type OpenStore } from './store-target.ts';

/** A 32-byte credential hash. */
const hash = (n: number) => bytes(n, 32);

export function enrollmentStoreContract(open: OpenStore<EnrollmentStore>): void {
  describe('EnrollmentStore contract', () => {
    let store: EnrollmentStore;
    let other: EnrollmentStore;
    let close: () => Promise<void>;

    beforeEach(async () => {
      ({ store, other, close } = await open());
    });
    afterEach(async () => {
      await close();
    });

    it('lets a credential be used once, on any instance', async () => {
      await store.issue(hash(1), 'alice', 10_000, 'operator:ops');
      expect(await other.consume(hash(1), 'alice', 5000)).toBe('ok');
      expect(await store.consume(hash(1), 'alice', 5001)).toBe('used');
      expect(await other.consume(hash(1), 'alice', 5002)).toBe('used');
    });

    it('answers unknown for a hash never issued', async () => {
      await store.issue(hash(1), null, 10_000, 'operator:ops');
      expect(await store.consume(hash(2), 'alice', 5000)).toBe('unknown');
      expect(await store.consume(new Uint8Array(0), 'alice', 5000)).toBe('unknown');
    });

    it('expires a credential at its expiry instant', async () => {
      await store.issue(hash(1), 'alice', 10_000, 'operator:ops');
      await store.issue(hash(2), 'alice', 10_000, 'operator:ops');
      expect(await store.consume(hash(1), 'alice', 10_000)).toBe('expired');
      expect(await store.consume(hash(1), 'alice', 10_001)).toBe('expired');
      expect(await store.consume(hash(2), 'alice', 9_999)).toBe('ok');
    });

    it('refuses another agent without burning the credential', async () => {
      await store.issue(hash(1), 'alice', 10_000, 'operator:ops');
      expect(await store.consume(hash(1), 'bob', 5000)).toBe('wrong-agent');
      expect(await store.consume(hash(1), 'alice', 5000)).toBe('ok');
      // Bound to someone else: a stranger learns nothing about use or expiry.
      expect(await store.consume(hash(1), 'bob', 5000)).toBe('wrong-agent');
      expect(await store.consume(hash(1), 'bob', 20_000)).toBe('wrong-agent');
    });

    it('lets any agent use an unbound credential, once', async () => {
      await store.issue(hash(1), null, 10_000, 'operator:ops');
      expect(await store.consume(hash(1), 'bob', 5000)).toBe('ok');
      expect(await store.consume(hash(1), 'alice', 5000)).toBe('used');
    });

    it('says used (not expired) for a used credential after its expiry', async () => {
      await store.issue(hash(1), 'alice', 10_000, 'operator:ops');
      expect(await store.consume(hash(1), 'alice', 5000)).toBe('ok');
      expect(await store.consume(hash(1), 'alice', 20_000)).toBe('used');
    });

    it('gives exactly one of 20 concurrent consumers ok', async () => {
      await store.issue(hash(1), null, 10_000, 'operator:ops');
      const outcomes = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          (i % 2 === 0 ? store : other).consume(hash(1), `agent-${i}`, 5000),
        ),
      );
      expect(outcomes.filter((o) => o === 'ok')).toHaveLength(1);
      expect(outcomes.filter((o) => o === 'used')).toHaveLength(19);
    });

    it('refuses issuing the same credential hash twice', async () => {
      await store.issue(hash(1), 'alice', 10_000, 'operator:ops');
      await expectError(
        other.issue(hash(1), 'bob', 20_000, 'operator:other'),
        AlreadyExistsError,
        'this enrollment credential was already issued',
      );
      expect(await store.consume(hash(1), 'bob', 5000)).toBe('wrong-agent');
    });
  });
}
