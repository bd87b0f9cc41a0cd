/**
 * The bytes of a key store file and their sealing:
 *
 *   file   = header line (JSON) "\n" base64(nonce || AES-256-GCM ciphertext || tag) "\n"
 *   aad    = PAE("proof-messenger/key-store/v1", header line bytes)
 *   sealed = AES-256-GCM(file key, nonce = 12 fresh random bytes, content, aad)
 *
 * A fresh nonce on every write keeps nonces unique under one file key (the key stays the same
 * while the passphrase and salt do): random 96-bit nonces are safe for far more than the 2^32
 * writes NIST allows per key. The header is bound as associated data, so changing the KDF
 * parameters, the salt or the version makes decryption fail even if the derived key matched.
 * The file is text so it survives tools that mangle binary, and so an operator can read the header.
 */
import { type CryptoProvider, concatBytes, pae } from '@proof-messenger/crypto';
import { KeyStoreUnlockError } from '../key-store-errors.ts';
import { corrupted, type KeyStoreHeader, parseHeader } from './key-store-header.ts';

const DOMAIN = 'proof-messenger/key-store/v1';
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const NEWLINE = 0x0a;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** A key store file split into its parts, header checked, content still sealed. */
export interface KeyStoreFileParts {
  readonly headerBytes: Uint8Array;
  readonly header: KeyStoreHeader;
  readonly nonce: Uint8Array;
  readonly sealed: Uint8Array;
}

/** Seals `content` under `fileKey` with a fresh nonce and returns the whole file. */
export function sealKeyStoreFile(
  provider: CryptoProvider,
  fileKey: Uint8Array,
  headerBytes: Uint8Array,
  content: Uint8Array,
): Uint8Array {
  const nonce = provider.randomBytes(NONCE_BYTES);
  const sealed = provider.aes256GcmEncrypt(fileKey, nonce, content, associatedData(headerBytes));
  const body = new TextEncoder().encode(Buffer.from(concatBytes(nonce, sealed)).toString('base64'));
  return concatBytes(headerBytes, Uint8Array.of(NEWLINE), body, Uint8Array.of(NEWLINE));
}

/**
 * Splits a file into header and sealed content and checks the header.
 * @throws KeyStoreFormatError when the file is not a well-formed key store file
 */
export function splitKeyStoreFile(path: string, file: Uint8Array): KeyStoreFileParts {
  const firstNewline = file.indexOf(NEWLINE);
  if (file.length === 0) throw corrupted(path, 'it is empty');
  if (
    firstNewline < 0 ||
    file.at(-1) !== NEWLINE ||
    file.indexOf(NEWLINE, firstNewline + 1) !== file.length - 1
  ) {
    throw corrupted(path, 'it is not two lines (header, sealed content); it may be truncated');
  }
  const headerBytes = file.subarray(0, firstNewline);
  const header = parseHeader(path, headerBytes);
  const body = new TextDecoder().decode(file.subarray(firstNewline + 1, file.length - 1));
  if (!BASE64.test(body)) throw corrupted(path, 'its sealed content is not base64');
  const bytes = new Uint8Array(Buffer.from(body, 'base64'));
  if (bytes.length < NONCE_BYTES + TAG_BYTES) {
    throw corrupted(path, 'its sealed content is shorter than a nonce and a tag');
  }
  return {
    headerBytes,
    header,
    nonce: bytes.subarray(0, NONCE_BYTES),
    sealed: bytes.subarray(NONCE_BYTES),
  };
}

/**
 * Decrypts the sealed content.
 * @throws KeyStoreUnlockError when the key is wrong or anything in the file was changed
 */
export function unsealKeyStoreFile(
  provider: CryptoProvider,
  path: string,
  fileKey: Uint8Array,
  parts: KeyStoreFileParts,
): Uint8Array {
  try {
    return provider.aes256GcmDecrypt(
      fileKey,
      parts.nonce,
      parts.sealed,
      associatedData(parts.headerBytes),
    );
  } catch (cause) {
    const secret = parts.header.kdf.name === 'scrypt' ? 'passphrase' : 'key';
    throw new KeyStoreUnlockError(
      `key store ${secret} is wrong or the file was modified: ${path}`,
      { field: secret, metadata: { path }, cause },
    );
  }
}

function associatedData(headerBytes: Uint8Array): Uint8Array {
  return pae(DOMAIN, headerBytes);
}
