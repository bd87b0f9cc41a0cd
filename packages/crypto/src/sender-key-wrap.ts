/**
 * Content keys of channel messages wrapped under a publisher's sender key (Signal's "sender keys"
 * idea, with our own derivation): a publisher sends one 32-byte sender key per channel epoch to
 * every member through the KEM (content-encryption.ts), then encrypts each channel message once,
 * wrapping its fresh content key under a key-encryption key derived from the sender key:
 *
 *   kek        = HKDF-SHA-256(ikm = senderKey, salt = payload nonce,
 *                             info = PAE("proof-messenger/channel-kek/v1", suite, sender key id,
 *                                        channel id, epoch as 8 bytes big-endian), 32)
 *   wrappedKey = AES-256-GCM(kek, nonce = 0^96, contentKey,
 *                            aad = PAE("proof-messenger/wrap/v1", suite, sender key id))
 *
 * The payload nonce is 96 random bits per message, so every kek is used once (the fixed wrap nonce
 * is safe, as in content-encryption.ts); the info binds the channel and epoch, so a wrapped key
 * cannot be replayed into another channel or epoch. A member removed from the channel never
 * receives the next epoch's sender key and so cannot unwrap anything published after removal.
 *
 * Caveats: a sender key gives no forward secrecy within its epoch (whoever holds it reads the whole
 * epoch), and authenticity comes from the envelope signature, not from the sender key, which every
 * member holds.
 */
import { DecryptionError, InvalidArgumentError } from '@proof-messenger/errors';
import { CONTENT_SIZES } from './content-encryption.ts';
import type { CryptoProvider } from './crypto-provider.ts';
import { checkBytes, utf8 } from './internal/bytes.ts';
import { base64url } from './key-id.ts';
import { pae } from './pae.ts';
import { zeroize } from './zeroize.ts';

/** A publisher's key for one channel epoch. */
export interface SenderKey {
  readonly keyId: string;
  /** 32 bytes. */
  readonly key: Uint8Array;
}

/** Where a sender key applies: its wraps are bound to this channel and epoch. */
export interface SenderKeyScope {
  readonly suite: number;
  readonly channelId: string;
  readonly epoch: bigint;
}

/** Length of a sender key in bytes. */
export const SENDER_KEY_BYTES = 32;

const WRAP_NONCE = new Uint8Array(12);

function u32(value: number): Uint8Array {
  return Uint8Array.of(value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff);
}

function u64(value: bigint): Uint8Array {
  if (value < 0n || value >= 1n << 64n) {
    throw new RangeError(`epoch must fit in 64 unsigned bits, got ${value}`);
  }
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setBigUint64(0, value);
  return bytes;
}

function kekOf(
  provider: CryptoProvider,
  senderKey: SenderKey,
  scope: SenderKeyScope,
  nonce: Uint8Array,
): Uint8Array {
  checkBytes('sender key', senderKey.key, SENDER_KEY_BYTES);
  checkBytes('nonce', nonce, CONTENT_SIZES.nonce);
  const info = pae(
    'proof-messenger/channel-kek/v1',
    u32(scope.suite),
    utf8(senderKey.keyId),
    utf8(scope.channelId),
    u64(scope.epoch),
  );
  return provider.hkdfSha256(senderKey.key, nonce, info, 32);
}

function wrapAad(suite: number, keyId: string): Uint8Array {
  return pae('proof-messenger/wrap/v1', u32(suite), utf8(keyId));
}

/**
 * The key id of a sender key: its fingerprint, base64url of the first 16 bytes of
 * SHA-256("proof-messenger/sender-key-id/v1" || key) — 22 characters like every key id, and
 * derived from the key so a key store can check it.
 */
export function senderKeyFingerprint(provider: CryptoProvider, key: Uint8Array): string {
  checkBytes('sender key', key, SENDER_KEY_BYTES);
  const digest = provider.sha256(pae('proof-messenger/sender-key-id/v1', key));
  return base64url(digest.slice(0, 16));
}

/** A fresh random sender key with its key id. */
export function newSenderKey(provider: CryptoProvider): SenderKey {
  const key = provider.randomBytes(SENDER_KEY_BYTES);
  return { keyId: senderKeyFingerprint(provider, key), key };
}

/**
 * Makes a content key and nonce for one channel message and wraps the key under `senderKey`.
 * @throws InvalidArgumentError on a malformed sender key; RangeError on an epoch out of range
 */
export function wrapForSenderKey(
  provider: CryptoProvider,
  senderKey: SenderKey,
  scope: SenderKeyScope,
): { contentKey: Uint8Array; nonce: Uint8Array; wrappedKey: Uint8Array } {
  if (senderKey.keyId === '') {
    throw new InvalidArgumentError('sender key id must not be empty', { field: 'keyId' });
  }
  const nonce = provider.randomBytes(CONTENT_SIZES.nonce);
  const contentKey = provider.randomBytes(CONTENT_SIZES.contentKey);
  const kek = kekOf(provider, senderKey, scope, nonce);
  try {
    const wrappedKey = provider.aes256GcmEncrypt(
      kek,
      WRAP_NONCE,
      contentKey,
      wrapAad(scope.suite, senderKey.keyId),
    );
    return { contentKey, nonce, wrappedKey };
  } finally {
    zeroize(kek);
  }
}

/**
 * Recovers a channel message's content key.
 * @throws DecryptionError when the wrap was not made with this sender key, channel, epoch or nonce
 */
export function unwrapWithSenderKey(
  provider: CryptoProvider,
  senderKey: SenderKey,
  scope: SenderKeyScope,
  nonce: Uint8Array,
  wrappedKey: Uint8Array,
): Uint8Array {
  checkBytes('wrapped key', wrappedKey, CONTENT_SIZES.wrappedKey);
  const kek = kekOf(provider, senderKey, scope, nonce);
  try {
    return provider.aes256GcmDecrypt(
      kek,
      WRAP_NONCE,
      wrappedKey,
      wrapAad(scope.suite, senderKey.keyId),
    );
  } catch (error) {
    throw new DecryptionError(
      `the content key was not wrapped with sender key ${senderKey.keyId} for channel ${scope.channelId} epoch ${scope.epoch}`,
      { cause: error },
    );
  } finally {
    zeroize(kek);
  }
}
