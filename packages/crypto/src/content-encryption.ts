/**
 * Content encryption for one or many recipients: the content is encrypted once with AES-256-GCM
 * under a fresh 256-bit content key and a random 96-bit nonce, and the content key is wrapped for
 * each recipient key through the suite's KEM:
 *
 *   (ss, kemCiphertext) = KEM.Encaps(recipient public key)
 *   kek        = HKDF-SHA-256(ikm = ss, salt = "", info = PAE("proof-messenger/kek/v1",
 *                              suite, recipient key id, SHA-256(kemCiphertext)), 32)
 *   wrappedKey = AES-256-GCM(kek, nonce = 0^96, contentKey, aad = PAE("proof-messenger/wrap/v1",
 *                              suite, recipient key id))
 *
 * The KEM ciphertext enters the info through its hash because HKDF implementations cap `info`
 * (node:crypto at 1024 bytes) and an X-Wing ciphertext is 1120 bytes. The transcript binds the KEM ciphertext, the recipient key id and the suite into the key
 * derivation, so a wrapped key cannot be moved to another recipient entry or suite. A fixed nonce
 * is safe for the wrap because every kek is used exactly once (it comes from a fresh
 * encapsulation). The envelope layer binds the whole header, recipients included, as the payload's
 * associated data.
 */
import { DecryptionError, InvalidArgumentError } from '@proof-messenger/errors';
import type { CryptoProvider } from './crypto-provider.ts';
import { checkBytes, utf8 } from './internal/bytes.ts';
import { type KemKeyPair, kemEncapsulate, suiteSizes } from './kem-suite.ts';
import { pae } from './pae.ts';
import { zeroize } from './zeroize.ts';

/** Sizes in bytes. */
export const CONTENT_SIZES = {
  contentKey: 32,
  nonce: 12,
  tag: 16,
  wrappedKey: 48,
  maxRecipients: 1024,
} as const;

const WRAP_NONCE = new Uint8Array(12);

/** A public key to encrypt to. */
export interface KemRecipient {
  readonly keyId: string;
  readonly publicKey: Uint8Array;
}

/** The content key wrapped for one recipient key. */
export interface WrappedContentKey {
  readonly keyId: string;
  readonly kemCiphertext: Uint8Array;
  readonly wrappedKey: Uint8Array;
}

/** A fresh content key with its nonce and one wrapped copy per recipient. */
export interface ContentKeyBundle {
  readonly contentKey: Uint8Array;
  readonly nonce: Uint8Array;
  readonly recipients: readonly WrappedContentKey[];
}

function suiteBytes(suite: number): Uint8Array {
  return Uint8Array.of(suite >>> 24, (suite >>> 16) & 0xff, (suite >>> 8) & 0xff, suite & 0xff);
}

function deriveKek(
  provider: CryptoProvider,
  suite: number,
  keyId: string,
  sharedSecret: Uint8Array,
  kemCiphertext: Uint8Array,
): Uint8Array {
  const info = pae(
    'proof-messenger/kek/v1',
    suiteBytes(suite),
    utf8(keyId),
    provider.sha256(kemCiphertext),
  );
  const kek = provider.hkdfSha256(sharedSecret, new Uint8Array(0), info, 32);
  zeroize(sharedSecret);
  return kek;
}

function wrapAad(suite: number, keyId: string): Uint8Array {
  return pae('proof-messenger/wrap/v1', suiteBytes(suite), utf8(keyId));
}

/**
 * Makes a content key and nonce and wraps the key for every recipient.
 * @throws InvalidArgumentError when there are no recipients, too many, or a key is malformed
 * @throws UnsupportedSuiteError for an unknown suite
 */
export async function wrapContentKey(
  provider: CryptoProvider,
  suite: number,
  recipients: readonly KemRecipient[],
): Promise<ContentKeyBundle> {
  suiteSizes(suite);
  if (recipients.length === 0 || recipients.length > CONTENT_SIZES.maxRecipients) {
    throw new InvalidArgumentError(
      `an encrypted message needs 1 to ${CONTENT_SIZES.maxRecipients} recipient keys, got ${recipients.length}`,
      { field: 'recipients' },
    );
  }
  const contentKey = provider.randomBytes(CONTENT_SIZES.contentKey);
  const wrapped = await Promise.all(
    recipients.map(async ({ keyId, publicKey }) => {
      const { sharedSecret, ciphertext } = await kemEncapsulate(provider, suite, publicKey);
      const kek = deriveKek(provider, suite, keyId, sharedSecret, ciphertext);
      const wrappedKey = provider.aes256GcmEncrypt(
        kek,
        WRAP_NONCE,
        contentKey,
        wrapAad(suite, keyId),
      );
      zeroize(kek);
      return { keyId, kemCiphertext: ciphertext, wrappedKey };
    }),
  );
  return { contentKey, nonce: provider.randomBytes(CONTENT_SIZES.nonce), recipients: wrapped };
}

/**
 * Recovers the content key from the entry wrapped for `keyPair`.
 * @throws DecryptionError when the entry was not made for this key or was altered
 */
export async function unwrapContentKey(
  provider: CryptoProvider,
  keyPair: KemKeyPair,
  entry: WrappedContentKey,
): Promise<Uint8Array> {
  checkBytes('wrapped key', entry.wrappedKey, CONTENT_SIZES.wrappedKey);
  if (entry.keyId !== keyPair.keyId) {
    throw new DecryptionError(
      `the wrapped key is for key ${entry.keyId}, not for this key (${keyPair.keyId})`,
    );
  }
  const sharedSecret = await keyPair.decapsulate(entry.kemCiphertext);
  const kek = deriveKek(provider, keyPair.suite, entry.keyId, sharedSecret, entry.kemCiphertext);
  try {
    return provider.aes256GcmDecrypt(
      kek,
      WRAP_NONCE,
      entry.wrappedKey,
      wrapAad(keyPair.suite, entry.keyId),
    );
  } finally {
    zeroize(kek);
  }
}

/**
 * AES-256-GCM encryption of content under a content key; returns ciphertext || tag.
 * @throws InvalidArgumentError on a wrong key or nonce length
 */
export function encryptContent(
  provider: CryptoProvider,
  contentKey: Uint8Array,
  nonce: Uint8Array,
  plaintext: Uint8Array,
  associatedData: Uint8Array,
): Uint8Array {
  checkBytes('content key', contentKey, CONTENT_SIZES.contentKey);
  checkBytes('nonce', nonce, CONTENT_SIZES.nonce);
  checkBytes('plaintext', plaintext);
  checkBytes('associated data', associatedData);
  return provider.aes256GcmEncrypt(contentKey, nonce, plaintext, associatedData);
}

/**
 * Inverse of encryptContent.
 * @throws DecryptionError when the key, nonce, ciphertext, tag or associated data do not match
 */
export function decryptContent(
  provider: CryptoProvider,
  contentKey: Uint8Array,
  nonce: Uint8Array,
  sealed: Uint8Array,
  associatedData: Uint8Array,
): Uint8Array {
  checkBytes('content key', contentKey, CONTENT_SIZES.contentKey);
  checkBytes('nonce', nonce, CONTENT_SIZES.nonce);
  checkBytes('ciphertext', sealed);
  checkBytes('associated data', associatedData);
  return provider.aes256GcmDecrypt(contentKey, nonce, sealed, associatedData);
}
