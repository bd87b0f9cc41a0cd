/**
 * The header of a key store file: format name, format version, how the file key is derived (scrypt
 * with its parameters, or HKDF-SHA-256 from a supplied 32-byte key) and the salt. It is one line of
 * JSON, and those exact bytes (never a re-encoding) are bound to the sealed content as associated
 * data, so changing any header value makes the file fail to open.
 *
 * Parsing checks every value before any key derivation, so a damaged or hostile header is refused
 * with a KeyStoreFormatError instead of, say, asking scrypt for 64 GiB.
 */
import { base64url } from '@proof-messenger/crypto';
import { KeyStoreFormatError } from '../key-store-errors.ts';
import { type ScryptParams, scryptParamsProblem } from '../scrypt-params.ts';

/** The format name in every header. */
export const KEY_STORE_FORMAT = 'proof-messenger/key-store';
/** The format version this build writes and reads. */
export const KEY_STORE_VERSION = 1;
/** Salt length in bytes. */
export const SALT_BYTES = 32;

/** How the file key is derived. */
export type KeyDerivation =
  | ({ readonly name: 'scrypt' } & ScryptParams)
  | { readonly name: 'hkdf-sha256' };

/** A parsed header. */
export interface KeyStoreHeader {
  readonly kdf: KeyDerivation;
  readonly salt: Uint8Array;
}

/** The header line's bytes (without the newline). */
export function encodeHeader(header: KeyStoreHeader): Uint8Array {
  const kdf =
    header.kdf.name === 'scrypt'
      ? { name: 'scrypt', n: header.kdf.n, r: header.kdf.r, p: header.kdf.p }
      : { name: header.kdf.name };
  const json = JSON.stringify({
    format: KEY_STORE_FORMAT,
    version: KEY_STORE_VERSION,
    kdf,
    salt: base64url(header.salt),
  });
  return new TextEncoder().encode(json);
}

/**
 * Parses and checks a header line.
 * @throws KeyStoreFormatError naming what is wrong
 */
export function parseHeader(path: string, bytes: Uint8Array): KeyStoreHeader {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (cause) {
    throw corrupted(path, 'its header is not JSON', cause);
  }
  if (typeof value !== 'object' || value === null)
    throw corrupted(path, 'its header is not a JSON object');
  const header = value as Record<string, unknown>;
  if (header.format !== KEY_STORE_FORMAT) {
    throw corrupted(path, `its header does not name the format ${KEY_STORE_FORMAT}`);
  }
  if (header.version !== KEY_STORE_VERSION) {
    throw new KeyStoreFormatError(
      `key store file ${path} has format version ${JSON.stringify(header.version)}, but this build reads only version ${KEY_STORE_VERSION}; upgrade @proof-messenger/client-sdk`,
      { field: 'path', metadata: { path } },
    );
  }
  return { kdf: parseKdf(path, header.kdf), salt: parseSalt(path, header.salt) };
}

function parseKdf(path: string, value: unknown): KeyDerivation {
  if (typeof value !== 'object' || value === null) throw corrupted(path, 'its header has no kdf');
  const kdf = value as Record<string, unknown>;
  if (kdf.name === 'hkdf-sha256') return { name: 'hkdf-sha256' };
  if (kdf.name !== 'scrypt') {
    throw corrupted(path, `its header names an unknown kdf ${JSON.stringify(kdf.name)}`);
  }
  const params = { n: kdf.n, r: kdf.r, p: kdf.p } as ScryptParams;
  const problem = scryptParamsProblem(params);
  if (problem !== undefined) throw corrupted(path, `its header is out of range: ${problem}`);
  return { name: 'scrypt', ...params };
}

function parseSalt(path: string, value: unknown): Uint8Array {
  // 32 bytes are 43 unpadded base64url characters; the last carries 4 bits, so it is one of 16.
  if (typeof value !== 'string' || !/^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/.test(value)) {
    throw corrupted(path, `its header salt is not ${SALT_BYTES} bytes of base64url`);
  }
  return new Uint8Array(Buffer.from(value, 'base64url'));
}

/** A KeyStoreFormatError for a file that is damaged or not a key store. */
export function corrupted(path: string, detail: string, cause?: unknown): KeyStoreFormatError {
  return new KeyStoreFormatError(`key store file ${path} is corrupted: ${detail}`, {
    field: 'path',
    metadata: { path },
    ...(cause === undefined ? {} : { cause }),
  });
}
