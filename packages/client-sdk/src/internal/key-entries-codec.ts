/**
 * The sealed content of a key store file: versioned JSON metadata for every key, then the raw seeds.
 *
 *   content = BE32(len(meta)) || meta (UTF-8 JSON) || seed_0 || seed_1 || …
 *   meta    = {"version":1,"keys":[{"keyId","kind","suite"?,"peerId"?,"createdAtMs","expiresAtMs"?},…]}
 *
 * Seeds are raw bytes, not base64 inside the JSON, so they never become JavaScript strings (which
 * cannot be wiped); each seed's length follows from its kind and suite. The content buffer is the
 * caller's to zeroize; decoded seeds are fresh copies.
 *
 * Decoding re-runs the checks callers' keys pass, so content that decrypts but does not make sense
 * (a bug, or a newer writer) is refused as a whole rather than half loaded.
 */
import { concatBytes, zeroize } from '@proof-messenger/crypto';
import { InvalidArgumentError } from '@proof-messenger/errors';
import { KeyStoreFormatError } from '../key-store-errors.ts';
import { checkKeySpec, checkSeed, seedLength } from './check-key-spec.ts';
import { type KeyEntry, makeRecord } from './key-ring.ts';
import { corrupted } from './key-store-header.ts';

const CONTENT_VERSION = 1;
const KEY_ID = /^[A-Za-z0-9_-]{22}$/;

/** The content bytes of `entries` (contains every seed: zeroize it after sealing). */
export function encodeKeyEntries(entries: readonly KeyEntry[]): Uint8Array {
  const meta = new TextEncoder().encode(
    JSON.stringify({ version: CONTENT_VERSION, keys: entries.map((entry) => entry.record) }),
  );
  const length = new Uint8Array(4);
  new DataView(length.buffer).setUint32(0, meta.length);
  return concatBytes(length, meta, ...entries.map((entry) => entry.seed));
}

/**
 * The entries in decrypted content, with seeds copied out of it.
 * @throws KeyStoreFormatError when the content is malformed
 */
export function decodeKeyEntries(path: string, content: Uint8Array): KeyEntry[] {
  if (content.length < 4) throw corrupted(path, 'its content is truncated');
  const metaLength = new DataView(content.buffer, content.byteOffset, 4).getUint32(0);
  if (4 + metaLength > content.length) throw corrupted(path, 'its content is truncated');
  let meta: unknown;
  try {
    meta = JSON.parse(
      new TextDecoder('utf-8', { fatal: true }).decode(content.subarray(4, 4 + metaLength)),
    );
  } catch (cause) {
    throw corrupted(path, 'its key list is not JSON', cause);
  }
  const keys = checkMeta(path, meta);
  const entries: KeyEntry[] = [];
  const seen = new Set<string>();
  let offset = 4 + metaLength;
  try {
    for (const [index, value] of keys.entries()) {
      const field = `keys[${index}]`;
      const spec = checkKeySpec(value, field);
      const keyId = (value as { keyId?: unknown }).keyId;
      if (typeof keyId !== 'string' || !KEY_ID.test(keyId) || seen.has(keyId)) {
        throw corrupted(path, `${field}.keyId is missing, malformed or repeated`);
      }
      seen.add(keyId);
      const end = offset + seedLength(spec.kind, spec.suite);
      if (end > content.length) throw corrupted(path, 'its content is truncated');
      const seed = checkSeed(spec, content.slice(offset, end), `${field}.seed`);
      entries.push({ record: makeRecord(keyId, spec), seed });
      offset = end;
    }
    if (offset !== content.length) {
      throw corrupted(path, 'its content has bytes after the last seed');
    }
  } catch (error) {
    zeroize(...entries.map((entry) => entry.seed));
    if (error instanceof InvalidArgumentError) throw corrupted(path, error.message, error);
    throw error;
  }
  return entries;
}

function checkMeta(path: string, meta: unknown): unknown[] {
  if (typeof meta !== 'object' || meta === null)
    throw corrupted(path, 'its key list is not an object');
  const { version, keys } = meta as { version?: unknown; keys?: unknown };
  if (version !== CONTENT_VERSION) {
    throw new KeyStoreFormatError(
      `key store file ${path} has content version ${JSON.stringify(version)}, but this build reads only version ${CONTENT_VERSION}; upgrade @proof-messenger/client-sdk`,
      { field: 'path', metadata: { path } },
    );
  }
  if (!Array.isArray(keys)) throw corrupted(path, 'its key list has no keys array');
  return keys;
}
