/** The AuditLog contract: append-only, oldest first, filtered by target, limited. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AuditEvent, AuditLog } from '../../src/ports/audit-log.ts';
import type { OpenStore } from './store-target.ts';

function event(n: number, target: string, fields: Partial<AuditEvent> = {}): AuditEvent {
  return {
    atMs: 1000 + n,
    actor: `agent-${n}`,
    action: 'identity.registered',
    target,
    outcome: 'success',
    reason: '',
    details: { keyId: `key-${n}` },
    ...fields,
  };
}

export function auditLogContract(open: OpenStore<AuditLog>): void {
  describe('AuditLog contract', () => {
    let store: AuditLog;
    let other: AuditLog;
    let close: () => Promise<void>;

    beforeEach(async () => {
      ({ store, other, close } = await open());
    });
    afterEach(async () => {
      await close();
    });

    it('lists appended events oldest first, exactly as appended', async () => {
      const events = [
        event(1, 'alice'),
        event(2, 'bob', {
          outcome: 'denied',
          reason: 'enrollment credential used',
          action: 'identity.registered',
          details: {},
        }),
        event(3, 'alice', {
          outcome: 'failed',
          actor: 'operator:ops',
          action: 'identity.revoked',
          reason: 'database unavailable',
          details: { keyId: 'k', count: '3', note: 'ünïcode "quoted"' },
        }),
        event(4, 'alice->bob', {
          actor: 'system:rotation-scheduler',
          action: 'session.rotation-due',
        }),
      ];
      for (const [i, e] of events.entries()) await (i % 2 === 0 ? store : other).append(e);
      expect(await store.list(undefined, 100)).toEqual(events);
      expect(await other.list('alice', 100)).toEqual([events[0], events[2]]);
      expect(await store.list('alice->bob', 100)).toEqual([events[3]]);
      expect(await store.list('nobody', 100)).toEqual([]);
    });

    it('returns at most limit events, the oldest', async () => {
      for (let n = 1; n <= 5; n++) await store.append(event(n, 'alice'));
      expect(await store.list('alice', 2)).toEqual([event(1, 'alice'), event(2, 'alice')]);
      expect(await store.list(undefined, 3)).toEqual([1, 2, 3].map((n) => event(n, 'alice')));
      expect(await store.list(undefined, 0)).toEqual([]);
    });

    it('keeps every one of many concurrent appends', async () => {
      await Promise.all(
        Array.from({ length: 40 }, (_, n) =>
          (n % 2 === 0 ? store : other).append(event(n, 'alice')),
        ),
      );
      const listed = await store.list('alice', 100);
      expect(listed.map((e) => e.atMs).sort((a, b) => a - b)).toEqual(
        Array.from({ length: 40 }, (_, n) => 1000 + n),
      );
    });
  });
}
