import { pae } from '@proof-messenger/crypto';
import { InvalidArgumentError } from '@proof-messenger/errors';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type AuditEntry,
  auditEntryHash,
  encodeAuditEntry,
  GENESIS_PREVIOUS_HASH,
  MemoryAuditLog,
  MerkleHasher,
} from '../src/index.ts';
import { entryInput, providers } from './fixtures.ts';

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
const u64 = (n: number): Uint8Array => {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(n));
  return out;
};

const entry: AuditEntry = {
  sequence: 3,
  timeMs: 1_750_000_000_123,
  actor: 'agent-a',
  action: 'message.send',
  target: 'agent-b',
  outcome: 'denied',
  reason: 'policy forbids',
  details: { zeta: '1', alpha: '2' },
  messageIds: ['m-1', 'm-2'],
  messageHashes: [new Uint8Array(32).fill(9)],
  previousHash: new Uint8Array(32).fill(1),
};

describe('encodeAuditEntry', () => {
  it('is the documented PAE layout, details sorted by key', () => {
    const expected = pae(
      'proof-messenger/audit-entry/v1',
      u64(3),
      u64(1_750_000_000_123),
      utf8('agent-a'),
      utf8('message.send'),
      utf8('agent-b'),
      utf8('denied'),
      utf8('policy forbids'),
      pae(
        'proof-messenger/audit-entry/details/v1',
        utf8('alpha'),
        utf8('2'),
        utf8('zeta'),
        utf8('1'),
      ),
      pae('proof-messenger/audit-entry/message-ids/v1', utf8('m-1'), utf8('m-2')),
      pae('proof-messenger/audit-entry/message-hashes/v1', new Uint8Array(32).fill(9)),
      new Uint8Array(32).fill(1),
    );
    expect(encodeAuditEntry(entry)).toEqual(expected);
  });

  it('does not depend on the order details were inserted in', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 }), { maxKeys: 10 }),
        (details) => {
          const reversed = Object.fromEntries(Object.entries(details).reverse());
          expect(encodeAuditEntry({ ...entry, details: reversed })).toEqual(
            encodeAuditEntry({ ...entry, details }),
          );
        },
      ),
    );
  });

  it('changes when any field changes', () => {
    const base = encodeAuditEntry(entry);
    const variants: AuditEntry[] = [
      { ...entry, sequence: 4 },
      { ...entry, timeMs: entry.timeMs + 1 },
      { ...entry, actor: 'agent-c' },
      { ...entry, action: 'message.ack' },
      { ...entry, target: 'agent-c' },
      { ...entry, outcome: 'success' },
      { ...entry, reason: '' },
      { ...entry, details: { zeta: '1', alpha: '3' } },
      { ...entry, details: { zeta: '1' } },
      { ...entry, messageIds: ['m-1'] },
      { ...entry, messageIds: ['m-2', 'm-1'] },
      { ...entry, messageHashes: [] },
      { ...entry, previousHash: new Uint8Array(32) },
      // The same characters split differently between fields.
      { ...entry, actor: 'agent-am', action: 'essage.send' },
    ];
    for (const variant of variants) expect(encodeAuditEntry(variant)).not.toEqual(base);
  });

  it('refuses malformed fields with the field named', () => {
    const cases: [Partial<Record<keyof AuditEntry, unknown>>, string][] = [
      [{ sequence: -1 }, 'sequence must be a non-negative safe integer, got -1'],
      [{ timeMs: 1.5 }, 'timeMs must be a non-negative safe integer, got 1.5'],
      [{ actor: 7 }, 'actor must be a string, got number'],
      [{ actor: '\uD800' }, 'actor must be well-formed Unicode (no lone surrogates)'],
      [{ target: 'x'.repeat(1025) }, 'target must be at most 1024 UTF-8 bytes, got 1025'],
      [{ outcome: 'ok' }, 'outcome must be one of success, denied, failure, got ok'],
      [{ details: { a: 1 } }, 'details["a"] must be a string, got number'],
      [{ messageIds: 'm-1' }, 'messageIds must be an array'],
      [
        { messageHashes: [new Uint8Array(65)] },
        'messageHashes[0] must be a Uint8Array of at most 64 bytes',
      ],
      [{ previousHash: new Uint8Array(31) }, 'previousHash must be 32 bytes, got 31'],
    ];
    for (const [change, message] of cases) {
      const bad = { ...entry, ...change } as AuditEntry;
      expect(() => encodeAuditEntry(bad)).toThrow(InvalidArgumentError);
      expect(() => encodeAuditEntry(bad)).toThrow(message);
    }
  });
});

describe.each(providers)('MemoryAuditLog chain ($name provider)', (provider) => {
  const hasher = new MerkleHasher(provider);

  it('numbers entries and chains each to the leaf hash of the one before', () => {
    const log = new MemoryAuditLog(hasher);
    const first = log.append(entryInput(0));
    const second = log.append(entryInput(1));
    expect(first.sequence).toBe(0);
    expect(first.previousHash).toEqual(GENESIS_PREVIOUS_HASH);
    expect(second.sequence).toBe(1);
    expect(second.previousHash).toEqual(hasher.hashLeaf(encodeAuditEntry(first)));
    expect(log.tree.leafHash(1)).toEqual(auditEntryHash(hasher, second));
  });

  it('appends nothing when an entry is malformed', () => {
    const log = new MemoryAuditLog(hasher);
    log.append(entryInput(0));
    expect(() => log.append({ ...entryInput(1), outcome: 'maybe' as 'success' })).toThrow(
      'outcome must be one of success, denied, failure, got maybe',
    );
    expect(log.entries.length).toBe(1);
    expect(log.tree.size()).toBe(1);
    expect(log.append(entryInput(1)).sequence).toBe(1);
  });

  it('raises a time earlier than the previous entry to it, and keeps later ones', () => {
    const log = new MemoryAuditLog(hasher);
    const times = [500, 300, 500, 700, 0].map((timeMs) => log.append({ ...entryInput(0), timeMs }));
    expect(times.map((entry) => entry.timeMs)).toEqual([500, 500, 500, 700, 700]);
    expect(log.entries.map((entry) => entry.timeMs)).toEqual([500, 500, 500, 700, 700]);
  });
});
