/**
 * A key store that lives only in memory: for tests and for agents whose keys must not outlive the
 * process. It follows the same contract as `FileKeyStore` (one shared test suite, one shared
 * implementation in `internal/ring-key-store.ts`), including the zeroization of seeds on delete,
 * deleteExpired and close; it has nothing to persist.
 *
 * Caveat: "deleted" means the seed buffer is zeroed and forgotten; JavaScript cannot promise that
 * the engine never copied it (see `zeroize` in @proof-messenger/crypto).
 */
import { type CryptoProvider, defaultProvider } from '@proof-messenger/crypto';
import { KeyRing } from './internal/key-ring.ts';
import { RingKeyStore } from './internal/ring-key-store.ts';
import { KeyStoreClosedError } from './key-store-errors.ts';

/** Options of a MemoryKeyStore. */
export interface MemoryKeyStoreOptions {
  /** Derives key ids and key objects, and generates seeds. Default: `defaultProvider()`. */
  readonly provider?: CryptoProvider;
}

/** A KeyStore held in process memory only. */
export class MemoryKeyStore extends RingKeyStore {
  constructor(options: MemoryKeyStoreOptions = {}) {
    super(new KeyRing(options.provider ?? defaultProvider()));
  }

  /** Memory is the only state, so there is nothing to write first. */
  protected override persist(): Promise<void> {
    return Promise.resolve();
  }

  protected override closedError(): KeyStoreClosedError {
    return new KeyStoreClosedError('key store is closed');
  }
}
