/**
 * One audit log entry and its canonical bytes. The bytes are the Merkle leaf (its leaf hash
 * SHA-256(0x00 || bytes) is also the entry hash the next entry chains to), so they are defined
 * once, here, and in docs/audit-log.md:
 *
 *   PAE("proof-messenger/audit-entry/v1",
 *       u64be(sequence), u64be(timeMs), actor, action, target, outcome, reason,
 *       PAE("proof-messenger/audit-entry/details/v1", k1, v1, k2, v2, …),   keys sorted by UTF-8 bytes
 *       PAE("proof-messenger/audit-entry/message-ids/v1", id1, id2, …),     in the given order
 *       PAE("proof-messenger/audit-entry/message-hashes/v1", h1, h2, …),    in the given order
 *       previousHash)
 *
 * with PAE the length-prefixed encoding of @proof-messenger/crypto (`pae`) and strings as UTF-8.
 * PAE makes the encoding injective; sorting the details makes it independent of insertion order.
 * Entries hold identifiers and hashes only, never message plaintext: the log is shown to operators
 * who must not read the traffic, and it is kept longer than messages are.
 */
import { pae } from '@proof-messenger/crypto';
import { InvalidArgumentError } from '@proof-messenger/errors';
import { checkHash, checkIndex, checkTextValue, u64be } from './internal/checks.ts';
import type { MerkleHasher } from './merkle-hasher.ts';

/** What came of the audited action. */
export type AuditOutcome = 'success' | 'denied' | 'failure';

const OUTCOMES: readonly string[] = ['success', 'denied', 'failure'];

/** Limits every entry must meet (they bound the encoding; an entry is a record, not a payload). */
export const AUDIT_ENTRY_LIMITS = {
  /** UTF-8 bytes of actor, action, target, reason, a detail key or value, a message id. */
  maxTextBytes: 1024,
  maxDetails: 64,
  maxMessageIds: 256,
  maxMessageHashes: 256,
  /** Bytes of one message hash (SHA-256 / SHA-512 digests fit). */
  maxMessageHashBytes: 64,
} as const;

/** The previous-entry hash of entry 0: 32 zero bytes. */
export const GENESIS_PREVIOUS_HASH: Uint8Array = new Uint8Array(32);

/** An entry as the log stores it. */
export interface AuditEntry {
  /** Position in the log, from 0; also the Merkle leaf index. */
  readonly sequence: number;
  /**
   * When the log accepted the entry, milliseconds since the Unix epoch, never earlier than the
   * entry before: the sequencer raises a time that would go back (another writer's clock was
   * ahead), so times never decrease along the log and verifyAuditLog checks it. The time given
   * is normally the event's own; when an event's time must be kept exactly and may differ, it
   * belongs in `details` as well.
   */
  readonly timeMs: number;
  /** Who acted: an agent id, `operator:<name>` or `service:<name>`. */
  readonly actor: string;
  /** What was done, e.g. `message.send`, `key.rotate`, `policy.update`. */
  readonly action: string;
  /** What it was done to: an agent id, a channel id, a policy version. */
  readonly target: string;
  readonly outcome: AuditOutcome;
  /** Why: the refusal reason or policy decision; empty when there is none. */
  readonly reason: string;
  /** Further non-secret facts. */
  readonly details: Readonly<Record<string, string>>;
  /** Message ids the entry concerns. */
  readonly messageIds: readonly string[];
  /** Hashes of the message envelopes the entry concerns (never their plaintext). */
  readonly messageHashes: readonly Uint8Array[];
  /** The entry hash of entry `sequence − 1`, or GENESIS_PREVIOUS_HASH for entry 0. */
  readonly previousHash: Uint8Array;
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = (a[i] as number) - (b[i] as number);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

function checkList(name: string, value: unknown, max: number): readonly unknown[] {
  if (!Array.isArray(value)) {
    throw new InvalidArgumentError(`${name} must be an array`, { field: name });
  }
  if (value.length > max) {
    throw new InvalidArgumentError(`${name} must have at most ${max} items, got ${value.length}`, {
      field: name,
    });
  }
  return value;
}

/** The fields of an entry that come from the event (all but sequence and previousHash). */
export type AuditEntryFields = Omit<AuditEntry, 'sequence' | 'previousHash'>;

/**
 * Checks the event's fields of an entry: types, the outcome, and every limit of
 * AUDIT_ENTRY_LIMITS. `encodeAuditEntry` runs it; the recorder runs it when an event is recorded,
 * so a bad event is refused at its source without encoding it twice.
 * @throws InvalidArgumentError naming the field
 */
export function checkAuditEntryFields(entry: AuditEntryFields): void {
  if (typeof entry !== 'object' || entry === null) {
    throw new InvalidArgumentError('audit entry must be an object');
  }
  const max = AUDIT_ENTRY_LIMITS.maxTextBytes;
  checkIndex('timeMs', entry.timeMs);
  checkTextValue('actor', entry.actor, max);
  checkTextValue('action', entry.action, max);
  checkTextValue('target', entry.target, max);
  if (typeof entry.outcome !== 'string' || !OUTCOMES.includes(entry.outcome)) {
    throw new InvalidArgumentError(
      `outcome must be one of ${OUTCOMES.join(', ')}, got ${String(entry.outcome)}`,
      { field: 'outcome' },
    );
  }
  checkTextValue('reason', entry.reason, max);
  if (typeof entry.details !== 'object' || entry.details === null) {
    throw new InvalidArgumentError('details must be an object of strings', { field: 'details' });
  }
  const detailKeys = Object.keys(entry.details);
  if (detailKeys.length > AUDIT_ENTRY_LIMITS.maxDetails) {
    throw new InvalidArgumentError(
      `details must have at most ${AUDIT_ENTRY_LIMITS.maxDetails} keys, got ${detailKeys.length}`,
      { field: 'details' },
    );
  }
  for (const key of detailKeys) {
    checkTextValue(`details key "${key}"`, key, max);
    checkTextValue(`details["${key}"]`, entry.details[key], max);
  }
  const ids = checkList('messageIds', entry.messageIds, AUDIT_ENTRY_LIMITS.maxMessageIds);
  for (const [i, id] of ids.entries()) checkTextValue(`messageIds[${i}]`, id, max);
  const hashes = checkList(
    'messageHashes',
    entry.messageHashes,
    AUDIT_ENTRY_LIMITS.maxMessageHashes,
  );
  for (const [i, hash] of hashes.entries()) {
    if (!(hash instanceof Uint8Array) || hash.length > AUDIT_ENTRY_LIMITS.maxMessageHashBytes) {
      throw new InvalidArgumentError(
        `messageHashes[${i}] must be a Uint8Array of at most ${AUDIT_ENTRY_LIMITS.maxMessageHashBytes} bytes`,
        { field: `messageHashes[${i}]` },
      );
    }
  }
}

const encoder = new TextEncoder();

/**
 * The canonical bytes of an entry (see the module header).
 * @throws InvalidArgumentError naming the field when a field has the wrong type or breaks a limit
 */
export function encodeAuditEntry(entry: AuditEntry): Uint8Array {
  checkAuditEntryFields(entry);
  const text = (value: string) => encoder.encode(value);
  const details = Object.keys(entry.details)
    .map((key) => ({ key: text(key), value: text(entry.details[key] as string) }))
    .sort((a, b) => compareBytes(a.key, b.key));
  return pae(
    'proof-messenger/audit-entry/v1',
    u64be(checkIndex('sequence', entry.sequence)),
    u64be(entry.timeMs),
    text(entry.actor),
    text(entry.action),
    text(entry.target),
    text(entry.outcome),
    text(entry.reason),
    pae('proof-messenger/audit-entry/details/v1', ...details.flatMap((d) => [d.key, d.value])),
    pae('proof-messenger/audit-entry/message-ids/v1', ...entry.messageIds.map(text)),
    pae('proof-messenger/audit-entry/message-hashes/v1', ...entry.messageHashes),
    checkHash('previousHash', entry.previousHash),
  );
}

/**
 * The entry hash: the Merkle leaf hash SHA-256(0x00 || encodeAuditEntry(entry)). The next entry's
 * previousHash is this value, so the chain and the tree hash each entry once.
 * @throws InvalidArgumentError as encodeAuditEntry
 */
export function auditEntryHash(hasher: MerkleHasher, entry: AuditEntry): Uint8Array {
  return hasher.hashLeaf(encodeAuditEntry(entry));
}
