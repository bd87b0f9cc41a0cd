/**
 * Input checks for keys entering a key store, shared by both adapters and by the file decoder, so a
 * key is refused the same way whether it comes from a caller or from disk. Each failure names the
 * field and what a valid value looks like; a seed is described only by its type and length.
 */
import { SENDER_KEY_BYTES, Suite } from '@proof-messenger/crypto';
import { InvalidArgumentError } from '@proof-messenger/errors';
import { checkAgentId, checkChannelId } from '@proof-messenger/protocol';
import { KEY_KINDS, type KeyKind, type KeySpec } from '../key-store.ts';

const IDENTITY_SEED = 64;
const SEED_BY_SUITE: Record<Suite, number> = { 1: 64, 2: 32 };

/** The seed length of a key of `kind` (and `suite`, for KEM keys). */
export function seedLength(kind: KeyKind, suite: Suite | undefined): number {
  if (kind === 'channel-sender') return SENDER_KEY_BYTES;
  if (kind === 'identity' || suite === undefined) return IDENTITY_SEED;
  return SEED_BY_SUITE[suite];
}

/** Throws unless `value` is a non-negative safe integer (a time in ms since the epoch). */
export function checkTimeMs(field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new InvalidArgumentError(
      `${field} must be a non-negative safe integer (ms since the epoch), got ${describe(value)}`,
      { field },
    );
  }
  return value;
}

/**
 * Checks a key's metadata and returns a clean copy holding only the known fields.
 * @throws InvalidArgumentError naming the offending field
 */
export function checkKeySpec(value: unknown, field = 'key'): KeySpec {
  if (typeof value !== 'object' || value === null) {
    throw new InvalidArgumentError(`${field} must be an object, got ${describe(value)}`, { field });
  }
  const spec = value as Record<string, unknown>;
  const kind = spec.kind;
  if (typeof kind !== 'string' || !(KEY_KINDS as readonly string[]).includes(kind)) {
    throw new InvalidArgumentError(
      `${field}.kind must be one of ${KEY_KINDS.join(', ')}, got ${describe(kind)}`,
      { field: `${field}.kind` },
    );
  }
  const checked: { -readonly [K in keyof KeySpec]: KeySpec[K] } = {
    kind: kind as KeyKind,
    createdAtMs: checkTimeMs(`${field}.createdAtMs`, spec.createdAtMs),
  };
  if (kind === 'identity' || kind === 'channel-sender') {
    if (spec.suite !== undefined) {
      throw new InvalidArgumentError(
        `${field}.suite is only for KEM keys; leave it out for ${kind} keys`,
        { field: `${field}.suite` },
      );
    }
  } else {
    if (
      spec.suite !== Suite.MLKEM768_HKDFSHA256_AES256GCM_MLDSA65ED25519 &&
      spec.suite !== Suite.XWING_HKDFSHA256_AES256GCM_MLDSA65ED25519
    ) {
      throw new InvalidArgumentError(
        `${field}.suite must be 1 (ML-KEM-768) or 2 (X-Wing) for ${kind} keys, got ${describe(spec.suite)}`,
        { field: `${field}.suite` },
      );
    }
    checked.suite = spec.suite;
  }
  if (kind === 'session') {
    if (typeof spec.peerId !== 'string') {
      throw new InvalidArgumentError(
        `${field}.peerId is required for session keys, got ${describe(spec.peerId)}`,
        { field: `${field}.peerId` },
      );
    }
    checked.peerId = checkAgentId(`${field}.peerId`, spec.peerId);
  } else if (kind === 'channel-member' || kind === 'channel-sender') {
    if (typeof spec.peerId !== 'string') {
      throw new InvalidArgumentError(
        `${field}.peerId (the channel id) is required for ${kind} keys, got ${describe(spec.peerId)}`,
        { field: `${field}.peerId` },
      );
    }
    checked.peerId = checkChannelId(`${field}.peerId`, spec.peerId);
  } else if (spec.peerId !== undefined) {
    throw new InvalidArgumentError(`${field}.peerId is only for session and channel keys`, {
      field: `${field}.peerId`,
    });
  }
  if (spec.expiresAtMs !== undefined) {
    checked.expiresAtMs = checkTimeMs(`${field}.expiresAtMs`, spec.expiresAtMs);
  }
  return checked;
}

/**
 * Throws unless `seed` is a Uint8Array of the length `spec` needs. The message gives the type and
 * length only, never content.
 */
export function checkSeed(spec: KeySpec, seed: unknown, field = 'key.seed'): Uint8Array {
  const length = seedLength(spec.kind, spec.suite);
  if (!(seed instanceof Uint8Array) || seed.length !== length) {
    const got = seed instanceof Uint8Array ? `${seed.length} bytes` : describe(seed);
    const what =
      spec.kind === 'identity' || spec.kind === 'channel-sender'
        ? spec.kind
        : `suite ${spec.suite} ${spec.kind}`;
    throw new InvalidArgumentError(
      `${field} must be a Uint8Array of ${length} bytes for ${what} keys, got ${got}`,
      { field },
    );
  }
  return seed;
}

function describe(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  if (value instanceof Uint8Array) return 'a Uint8Array';
  if (typeof value === 'object') return value.constructor?.name ?? 'object';
  if (typeof value === 'string') return JSON.stringify(value.slice(0, 140));
  return String(value);
}
