/**
 * What unlocks a `FileKeyStore`: a passphrase (stretched with scrypt) or a 32-byte key the caller
 * already holds (from an OS keychain, a KMS or a secret manager; expanded with HKDF-SHA-256).
 * Exactly one of the two; which one a file needs is written in its header.
 *
 * Caveat: a passphrase is a JavaScript string, which cannot be wiped. A supplied key is only read
 * while deriving the file key and never kept: the caller may zeroize it as soon as the call returns.
 */
import { InvalidArgumentError } from '@proof-messenger/errors';

/** A passphrase or a 32-byte key: exactly one. */
export type KeyStoreSecret =
  | { readonly passphrase: string; readonly key?: undefined }
  | { readonly key: Uint8Array; readonly passphrase?: undefined };

/** Length of a supplied key in bytes. */
export const KEY_STORE_KEY_BYTES = 32;

/**
 * Checks that `options` holds exactly one well-formed secret and returns just that secret.
 * @throws InvalidArgumentError naming the field
 */
export function checkKeyStoreSecret(options: unknown): KeyStoreSecret {
  const { passphrase, key } = (typeof options === 'object' && options !== null ? options : {}) as {
    passphrase?: unknown;
    key?: unknown;
  };
  if ((passphrase === undefined) === (key === undefined)) {
    throw new InvalidArgumentError(
      'give exactly one of passphrase (a non-empty string) or key (32 bytes) to unlock the key store',
      { field: 'passphrase' },
    );
  }
  if (key !== undefined) {
    if (!(key instanceof Uint8Array) || key.length !== KEY_STORE_KEY_BYTES) {
      const got = key instanceof Uint8Array ? `${key.length} bytes` : typeof key;
      throw new InvalidArgumentError(
        `key must be a Uint8Array of ${KEY_STORE_KEY_BYTES} bytes, got ${got}`,
        { field: 'key' },
      );
    }
    return { key };
  }
  if (typeof passphrase !== 'string' || passphrase.length === 0) {
    throw new InvalidArgumentError('passphrase must be a non-empty string', {
      field: 'passphrase',
    });
  }
  return { passphrase };
}
