/**
 * The one implementation of the KeyStore methods, shared by `MemoryKeyStore` and `FileKeyStore`
 * over a `KeyRing`. An adapter supplies only what is its own: how a state is persisted, the error
 * that names it once closed, and what else close releases.
 *
 * - Persist, then apply: every mutation computes the next state with the ring, awaits
 *   `persist(next)`, and only then changes memory. A store with a disk therefore never has memory
 *   run ahead of it: when a write fails, memory is as it was and a `put` seed is still the caller's
 *   (a `generate` seed, never seen by the caller, is zeroized).
 * - One at a time: every call, reads included, runs through one async mutex after the closed
 *   check, so no mutation interleaves with another across its `await persist`.
 *
 * Caveat: `persist` and `exclusive` are protected for TypeScript only; JavaScript can still call
 * them. Neither gives out a seed, and the ring itself stays in a #private field.
 */
import {
  type CompositeSigner,
  type KemKeyPair,
  type SenderKey,
  zeroize,
} from '@proof-messenger/crypto';
import type { KeyFilter, KeyRecord, KeySpec, KeyStore, NewKey } from '../key-store.ts';
import type { KeyStoreClosedError } from '../key-store-errors.ts';
import { AsyncMutex } from './async-mutex.ts';
import type { KeyEntry, KeyRing } from './key-ring.ts';

/** A KeyStore over a KeyRing whose adapter decides how each next state is persisted. */
export abstract class RingKeyStore implements KeyStore {
  readonly #ring: KeyRing;
  readonly #mutex = new AsyncMutex();
  #closed = false;

  protected constructor(ring: KeyRing) {
    this.#ring = ring;
  }

  put(key: NewKey): Promise<KeyRecord> {
    return this.exclusive(() => this.#add(this.#ring.prepare(key)));
  }

  generate(spec: KeySpec): Promise<KeyRecord> {
    return this.exclusive(async () => {
      const seed = this.#ring.randomSeedFor(spec);
      try {
        return await this.#add(this.#ring.prepare({ ...spec, seed }));
      } catch (error) {
        zeroize(seed);
        throw error;
      }
    });
  }

  get(keyId: string): Promise<KeyRecord | undefined> {
    return this.exclusive(() => this.#ring.get(keyId));
  }

  list(filter?: KeyFilter): Promise<KeyRecord[]> {
    return this.exclusive(() => this.#ring.list(filter));
  }

  setExpiry(keyId: string, expiresAtMs: number | undefined): Promise<KeyRecord> {
    return this.exclusive(async () => {
      const updated = this.#ring.withExpiry(keyId, expiresAtMs);
      await this.persist(
        this.#ring.entries().map((entry) => (entry.record.keyId === keyId ? updated : entry)),
      );
      this.#ring.replace(updated);
      return updated.record;
    });
  }

  delete(keyId: string): Promise<boolean> {
    return this.exclusive(async () => {
      if (this.#ring.get(keyId) === undefined) return false;
      await this.#remove([keyId]);
      return true;
    });
  }

  deleteExpired(nowMs: number): Promise<string[]> {
    return this.exclusive(async () => {
      const expired = this.#ring.expiredIds(nowMs);
      if (expired.length > 0) await this.#remove(expired);
      return expired;
    });
  }

  loadSigner(keyId: string): Promise<CompositeSigner> {
    return this.exclusive(() => this.#ring.signer(keyId));
  }

  loadKemKeyPair(keyId: string): Promise<KemKeyPair> {
    return this.exclusive(() => this.#ring.kemKeyPair(keyId));
  }

  loadSenderKey(keyId: string): Promise<SenderKey> {
    return this.exclusive(() => this.#ring.senderKey(keyId));
  }

  close(): Promise<void> {
    return this.#mutex.run(async () => {
      if (this.#closed) return;
      this.#closed = true;
      this.#ring.clear();
      await this.release();
    });
  }

  /** Runs `task` after every earlier call, unless the store is closed; a throw rejects. */
  protected exclusive<T>(task: () => Promise<T> | T): Promise<T> {
    return this.#mutex.run(() => {
      if (this.#closed) throw this.closedError();
      return task();
    });
  }

  /**
   * Makes `entries` (every key, oldest first) the durable state, before memory changes; a
   * rejection leaves memory as it was. Runs inside `exclusive`.
   */
  protected abstract persist(entries: readonly KeyEntry[]): Promise<void>;

  /** The error every call after close rejects with. */
  protected abstract closedError(): KeyStoreClosedError;

  /** Releases what the adapter holds besides the seeds; called once, by the first close. */
  protected release(): Promise<void> {
    return Promise.resolve();
  }

  async #add(entry: KeyEntry): Promise<KeyRecord> {
    await this.persist([...this.#ring.entries(), entry]);
    this.#ring.add(entry);
    return entry.record;
  }

  async #remove(keyIds: readonly string[]): Promise<void> {
    await this.persist(this.#ring.entriesWithout(new Set(keyIds)));
    this.#ring.remove(keyIds);
  }
}
