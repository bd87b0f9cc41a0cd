/**
 * Checks of a KEM public key someone asks others to encrypt to (a prekey, a session key, a channel
 * member key): its suite, its length, that its key id is its fingerprint, and — for
 * `checkKemPublicKeyUsable` — one trial encapsulation, which runs the FIPS 203 encapsulation-key
 * checks (and X-Wing's X25519 point check), so random bytes of the right length are refused where
 * they are offered rather than at the first sender.
 */
import { type CryptoProvider, kemEncapsulate, keyIdOf, suiteSizes } from '@proof-messenger/crypto';
import { InvalidArgumentError } from '@proof-messenger/errors';
import type { KemPublicKey } from '@proof-messenger/proto';

/**
 * Checks a KEM public key's suite, length and key id.
 * @throws UnsupportedSuiteError, InvalidArgumentError naming the wrong part
 */
export function checkKemPublicKey(
  provider: CryptoProvider,
  key: KemPublicKey | undefined,
  field: string,
): KemPublicKey {
  if (key === undefined) throw new InvalidArgumentError(`${field} is required`, { field });
  const sizes = suiteSizes(key.suite);
  if (key.publicKey.length !== sizes.publicKey) {
    throw new InvalidArgumentError(
      `${field}.public_key must be ${sizes.publicKey} bytes for suite ${key.suite}, got ${key.publicKey.length}`,
      { field: `${field}.public_key` },
    );
  }
  const keyId = keyIdOf(provider, sizes.keyIdAlgorithm, key.publicKey);
  if (keyId !== key.keyId) {
    throw new InvalidArgumentError(
      `${field}.key_id must be the fingerprint of the key (${keyId}), got "${key.keyId.slice(0, 40)}"`,
      { field: `${field}.key_id` },
    );
  }
  return key;
}

/**
 * As checkKemPublicKey, plus a trial encapsulation.
 * @throws InvalidArgumentError naming the field
 */
export async function checkKemPublicKeyUsable(
  provider: CryptoProvider,
  key: KemPublicKey | undefined,
  field: string,
): Promise<KemPublicKey> {
  const checked = checkKemPublicKey(provider, key, field);
  try {
    await kemEncapsulate(provider, checked.suite, checked.publicKey);
  } catch (cause) {
    throw new InvalidArgumentError(
      `${field}.public_key is not a usable key for suite ${checked.suite} (encapsulation check failed)`,
      { field: `${field}.public_key`, cause },
    );
  }
  return checked;
}
