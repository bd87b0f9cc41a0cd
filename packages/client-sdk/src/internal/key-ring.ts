/**
 * The in-memory state both key store adapters share: records and the seeds behind them, key id
 * derivation, filtering, expiry, and deriving ready key objects. Synchronous and unaware of disks:
 * `RingKeyStore` computes the next state with it, persists that, and only then applies it.
 *
 * Seeds live only in this class's private map, so nothing that prints a record or a store can
 * reach them. Deleting a key zeroizes its seed buffer; `clear` zeroizes them all.
 */
import {
  CompositeSigner,
  type CryptoProvider,
  KemKeyPair,
  type SenderKey,
  senderKeyFingerprint,
  zeroize,
} from '@proof-messenger/crypto';
import { AlreadyExistsError, InvalidArgumentError, KeyUnknownError } from '@proof-messenger/errors';
import type { KeyFilter, KeyRecord, KeySpec, NewKey } from '../key-store.ts';
import { checkKeySpec, checkSeed, checkTimeMs, seedLength } from './check-key-spec.ts';

/** A record and its seed, as held in memory and written to disk. */
export interface KeyEntry {
  readonly record: KeyRecord;
  readonly seed: Uint8Array;
}

/** Records and seeds of one key store. */
export class KeyRing {
  readonly #provider: CryptoProvider;
  readonly #entries = new Map<string, KeyEntry>();

  constructor(provider: CryptoProvider, entries: Iterable<KeyEntry> = []) {
    this.#provider = provider;
    for (const entry of entries) this.add(entry);
  }

  /**
   * Checks a new key and derives its record, without storing it.
   * @throws InvalidArgumentError on a malformed key, AlreadyExistsError when its id is held
   */
  prepare(key: NewKey): KeyEntry {
    const spec = checkKeySpec(key);
    const seed = checkSeed(spec, key.seed);
    const record = makeRecord(this.#keyIdOf(spec, seed), spec);
    if (this.#entries.has(record.keyId)) {
      throw new AlreadyExistsError(`key ${record.keyId} is already in the key store`, {
        field: 'key.seed',
        metadata: { keyId: record.keyId },
      });
    }
    // The store owns seed buffers and wipes them on delete: two keys must never share one.
    const sharing = [...this.#entries.values()].find((entry) => overlaps(entry.seed, seed));
    if (sharing !== undefined) {
      throw new InvalidArgumentError(
        `key.seed is the buffer the store already holds for key ${sharing.record.keyId}; pass a copy (seed.slice())`,
        { field: 'key.seed' },
      );
    }
    return { record, seed };
  }

  /** A fresh random seed of the length `spec` needs, checked like `prepare` first. */
  randomSeedFor(spec: KeySpec): Uint8Array {
    const checked = checkKeySpec(spec);
    return this.#provider.randomBytes(seedLength(checked.kind, checked.suite));
  }

  /** Holds an entry (prepared, or decoded from disk). */
  add(entry: KeyEntry): void {
    this.#entries.set(entry.record.keyId, entry);
  }

  /** The record of `keyId`, if held. */
  get(keyId: string): KeyRecord | undefined {
    return this.#entries.get(keyId)?.record;
  }

  /** Matching records, oldest first (createdAtMs, then key id). */
  list(filter: KeyFilter = {}): KeyRecord[] {
    const records: KeyRecord[] = [];
    for (const { record } of this.#entries.values()) {
      if (filter.kind !== undefined && record.kind !== filter.kind) continue;
      if (filter.peerId !== undefined && record.peerId !== filter.peerId) continue;
      if (filter.suite !== undefined && record.suite !== filter.suite) continue;
      records.push(record);
    }
    return records.sort(byAge);
  }

  /** Every entry, oldest first: the order they are written in. */
  entries(): KeyEntry[] {
    return [...this.#entries.values()].sort((a, b) => byAge(a.record, b.record));
  }

  /**
   * The entry of `keyId` with a new expiry, not yet applied.
   * @throws KeyUnknownError, InvalidArgumentError on a bad time
   */
  withExpiry(keyId: string, expiresAtMs: number | undefined): KeyEntry {
    const { record, seed } = this.#require(keyId);
    const { expiresAtMs: _old, ...rest } = record;
    const next =
      expiresAtMs === undefined
        ? rest
        : { ...rest, expiresAtMs: checkTimeMs('expiresAtMs', expiresAtMs) };
    return { record: Object.freeze(next), seed };
  }

  /** Replaces the held entry with the same key id (after `withExpiry`). */
  replace(entry: KeyEntry): void {
    this.#require(entry.record.keyId);
    this.#entries.set(entry.record.keyId, entry);
  }

  /** Ids of keys whose expiresAtMs is at or before `nowMs`, sorted. */
  expiredIds(nowMs: number): string[] {
    checkTimeMs('nowMs', nowMs);
    const ids: string[] = [];
    for (const { record } of this.#entries.values()) {
      if (record.expiresAtMs !== undefined && record.expiresAtMs <= nowMs) ids.push(record.keyId);
    }
    return ids.sort();
  }

  /** Entries other than `keyIds`, oldest first: the state after deleting them. */
  entriesWithout(keyIds: ReadonlySet<string>): KeyEntry[] {
    return this.entries().filter((entry) => !keyIds.has(entry.record.keyId));
  }

  /** Forgets the keys and zeroizes their seeds. */
  remove(keyIds: Iterable<string>): void {
    for (const keyId of keyIds) {
      const entry = this.#entries.get(keyId);
      if (entry === undefined) continue;
      this.#entries.delete(keyId);
      zeroize(entry.seed);
    }
  }

  /** Forgets every key and zeroizes every seed. */
  clear(): void {
    this.remove([...this.#entries.keys()]);
  }

  /**
   * A signer for an identity key.
   * @throws KeyUnknownError, InvalidArgumentError for a KEM key
   */
  signer(keyId: string): CompositeSigner {
    const { record, seed } = this.#require(keyId);
    if (record.kind !== 'identity') {
      throw new InvalidArgumentError(
        `key ${keyId} is a ${record.kind} key, not an identity key; load it with loadKemKeyPair`,
        { field: 'keyId' },
      );
    }
    return CompositeSigner.fromSeed(this.#provider, seed);
  }

  /**
   * A KEM key pair for a prekey or session key.
   * @throws KeyUnknownError, InvalidArgumentError for an identity key
   */
  kemKeyPair(keyId: string): KemKeyPair {
    const { record, seed } = this.#require(keyId);
    if (record.suite === undefined) {
      throw new InvalidArgumentError(
        record.kind === 'identity'
          ? `key ${keyId} is an identity key, not a KEM key; load it with loadSigner`
          : `key ${keyId} is a ${record.kind} key, not a KEM key; load it with loadSenderKey`,
        { field: 'keyId' },
      );
    }
    return KemKeyPair.fromSeed(this.#provider, record.suite, seed);
  }

  #require(keyId: string): KeyEntry {
    const entry = this.#entries.get(keyId);
    if (entry === undefined) {
      throw new KeyUnknownError(`key ${keyId} is not in the key store`, {
        field: 'keyId',
        metadata: { keyId },
      });
    }
    return entry;
  }

  /**
   * A channel sender key (a copy: the caller may wipe it).
   * @throws KeyUnknownError, InvalidArgumentError for any other kind
   */
  senderKey(keyId: string): SenderKey {
    const { record, seed } = this.#require(keyId);
    if (record.kind !== 'channel-sender') {
      throw new InvalidArgumentError(
        `key ${keyId} is a ${record.kind} key, not a channel-sender key`,
        {
          field: 'keyId',
        },
      );
    }
    return { keyId, key: seed.slice() };
  }

  #keyIdOf(spec: KeySpec, seed: Uint8Array): string {
    if (spec.kind === 'channel-sender') return senderKeyFingerprint(this.#provider, seed);
    return spec.suite === undefined
      ? CompositeSigner.fromSeed(this.#provider, seed).keyId
      : KemKeyPair.fromSeed(this.#provider, spec.suite, seed).keyId;
  }
}

/** A frozen record with only the fields that are set. */
export function makeRecord(keyId: string, spec: KeySpec): KeyRecord {
  return Object.freeze({ keyId, ...spec });
}

/** Whether two views share any byte of memory. */
function overlaps(a: Uint8Array, b: Uint8Array): boolean {
  return (
    a.buffer === b.buffer &&
    a.byteOffset < b.byteOffset + b.byteLength &&
    b.byteOffset < a.byteOffset + a.byteLength
  );
}

function byAge(a: KeyRecord, b: KeyRecord): number {
  if (a.createdAtMs !== b.createdAtMs) return a.createdAtMs - b.createdAtMs;
  return a.keyId < b.keyId ? -1 : a.keyId > b.keyId ? 1 : 0;
}
