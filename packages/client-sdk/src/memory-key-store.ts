/**
 * A key store that lives only in memory: for tests and for agents whose keys must not outlive the
 * process. It follows the same contract as `FileKeyStore` (one shared test suite), including the
 * zeroization of seeds on delete, deleteExpired and close.
 *
 * Caveat: "deleted" means the seed buffer is zeroed and forgotten; JavaScript cannot promise that
 * the engine never copied it (see `zeroize` in @proof-messenger/crypto).
 */
import {
  type CompositeSigner,
  type CryptoProvider,
  defaultProvider,
  type KemKeyPair,
  zeroize,
} from '@proof-messenger/crypto';
import { KeyRing } from './internal/key-ring.ts';
import type { KeyFilter, KeyRecord, KeySpec, KeyStore, NewKey } from './key-store.ts';
import { KeyStoreClosedError } from './key-store-errors.ts';

/** Options of a MemoryKeyStore. */
export interface MemoryKeyStoreOptions {
  /** Derives key ids and key objects, and generates seeds. Default: `defaultProvider()`. */
  readonly provider?: CryptoProvider;
}

/** A KeyStore held in process memory only. */
export class MemoryKeyStore implements KeyStore {
  readonly #ring: KeyRing;
  #closed = false;

  constructor(options: MemoryKeyStoreOptions = {}) {
    this.#ring = new KeyRing(options.provider ?? defaultProvider());
  }

  put(key: NewKey): Promise<KeyRecord> {
    return this.#run(() => {
      const entry = this.#ring.prepare(key);
      this.#ring.add(entry);
      return entry.record;
    });
  }

  generate(spec: KeySpec): Promise<KeyRecord> {
    return this.#run(() => {
      const seed = this.#ring.randomSeedFor(spec);
      try {
        const entry = this.#ring.prepare({ ...spec, seed });
        this.#ring.add(entry);
        return entry.record;
      } catch (error) {
        zeroize(seed);
        throw error;
      }
    });
  }

  get(keyId: string): Promise<KeyRecord | undefined> {
    return this.#run(() => this.#ring.get(keyId));
  }

  list(filter?: KeyFilter): Promise<KeyRecord[]> {
    return this.#run(() => this.#ring.list(filter));
  }

  setExpiry(keyId: string, expiresAtMs: number | undefined): Promise<KeyRecord> {
    return this.#run(() => {
      const entry = this.#ring.withExpiry(keyId, expiresAtMs);
      this.#ring.replace(entry);
      return entry.record;
    });
  }

  delete(keyId: string): Promise<boolean> {
    return this.#run(() => {
      const held = this.#ring.get(keyId) !== undefined;
      this.#ring.remove([keyId]);
      return held;
    });
  }

  deleteExpired(nowMs: number): Promise<string[]> {
    return this.#run(() => {
      const expired = this.#ring.expiredIds(nowMs);
      this.#ring.remove(expired);
      return expired;
    });
  }

  loadSigner(keyId: string): Promise<CompositeSigner> {
    return this.#run(() => this.#ring.signer(keyId));
  }

  loadKemKeyPair(keyId: string): Promise<KemKeyPair> {
    return this.#run(() => this.#ring.kemKeyPair(keyId));
  }

  close(): Promise<void> {
    this.#closed = true;
    this.#ring.clear();
    return Promise.resolve();
  }

  /** Runs `task` unless closed, turning a throw into a rejection. */
  #run<T>(task: () => T): Promise<T> {
    try {
      if (this.#closed) throw new KeyStoreClosedError('key store is closed');
      return Promise.resolve(task());
    } catch (error) {
      return Promise.reject(error);
    }
  }
}
