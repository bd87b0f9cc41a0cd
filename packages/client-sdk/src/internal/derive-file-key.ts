/**
 * The file key of a key store: the AES-256-GCM key that seals its content.
 *
 * - From a passphrase: scrypt (RFC 7914, node:crypto) over the NFC-normalized UTF-8 passphrase with
 *   the header's salt and parameters. NFC makes a passphrase typed on two systems the same bytes.
 * - From a supplied 32-byte key: HKDF-SHA-256 (via the crypto provider) with the header's salt and
 *   a domain label, so the supplied key is never used directly and a key reused elsewhere still
 *   gives this file its own key.
 *
 * Caveat: a passphrase is a JavaScript string and cannot be wiped; its UTF-8 copy here is. This
 * module is Node-only (node:crypto scrypt), like the file store itself.
 */
import { scrypt } from 'node:crypto';
import { type CryptoProvider, utf8, zeroize } from '@proof-messenger/crypto';
import type { KeyStoreSecret } from '../key-store-secret.ts';
import { scryptMemoryBytes } from '../scrypt-params.ts';
import type { KeyStoreHeader } from './key-store-header.ts';

const FILE_KEY_BYTES = 32;
const HKDF_INFO = 'proof-messenger/key-store/v1/file-key';

/** Derives the 32-byte file key for `header` from `secret` (the caller zeroizes it when done). */
export async function deriveFileKey(
  provider: CryptoProvider,
  secret: KeyStoreSecret,
  header: KeyStoreHeader,
): Promise<Uint8Array> {
  if (header.kdf.name === 'hkdf-sha256' && secret.key !== undefined) {
    return provider.hkdfSha256(secret.key, header.salt, utf8(HKDF_INFO), FILE_KEY_BYTES);
  }
  if (header.kdf.name === 'scrypt' && secret.passphrase !== undefined) {
    const { n, r, p } = header.kdf;
    const password = Buffer.from(secret.passphrase.normalize('NFC'), 'utf8');
    try {
      return await new Promise<Uint8Array>((resolve, reject) => {
        scrypt(
          password,
          header.salt,
          FILE_KEY_BYTES,
          { N: n, r, p, maxmem: scryptMemoryBytes({ n, r, p }) + 2 ** 20 },
          (error, key) =>
            error === null
              ? resolve(new Uint8Array(key.buffer, key.byteOffset, key.length))
              : reject(error),
        );
      });
    } finally {
      zeroize(password);
    }
  }
  throw new TypeError('the secret does not match the key derivation of the header');
}
