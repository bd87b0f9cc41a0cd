/**
 * Input checks and byte helpers shared by the crypto modules. Every public crypto function checks
 * its inputs here first, so a wrong type or length fails with an error naming the argument, the
 * expected size and the size it got, before any expensive work.
 */
import { InvalidArgumentError } from '@proof-messenger/errors';

/** Throws unless `value` is a Uint8Array (a Node Buffer is one) of `length` bytes, if given. */
export function checkBytes(name: string, value: unknown, length?: number): Uint8Array {
  if (!(value instanceof Uint8Array)) {
    throw new InvalidArgumentError(`${name} must be a Uint8Array, got ${describe(value)}`, {
      field: name,
    });
  }
  if (length !== undefined && value.length !== length) {
    throw new InvalidArgumentError(`${name} must be ${length} bytes, got ${value.length}`, {
      field: name,
      metadata: { expected: String(length), actual: String(value.length) },
    });
  }
  return value;
}

/** Throws unless `value` is a Uint8Array no longer than `max` bytes. */
export function checkMaxBytes(name: string, value: unknown, max: number): Uint8Array {
  const bytes = checkBytes(name, value);
  if (bytes.length > max) {
    throw new InvalidArgumentError(`${name} must be at most ${max} bytes, got ${bytes.length}`, {
      field: name,
      metadata: { max: String(max), actual: String(bytes.length) },
    });
  }
  return bytes;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') return value.constructor?.name ?? 'object';
  return typeof value;
}

/** Concatenates byte arrays into a new Uint8Array. */
export function concatBytes(...parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

const encoder = new TextEncoder();

/** UTF-8 bytes of a string. */
export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}

/** Big-endian 64-bit length prefix. */
export function u64be(value: number): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(value));
  return out;
}

/** Constant-time comparison of two byte arrays of equal length; false when lengths differ. */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return diff === 0;
}

/** The two hex digits of every byte value. */
const HEX_DIGITS = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'));

/**
 * Lower-case hex of bytes. Joined from an array rather than appended byte by byte: `+=` builds a
 * rope of one V8 string node per byte (~40 bytes each), which a load generator holding 16,000
 * hex-encoded 4.7 KB envelopes ran out of its 4 GB heap with.
 */
export function toHex(bytes: Uint8Array): string {
  const digits = new Array<string>(bytes.length);
  for (let i = 0; i < bytes.length; i++) digits[i] = HEX_DIGITS[bytes[i] ?? 0] ?? '';
  return digits.join('');
}

/** Bytes of a hex string; throws on odd length or non-hex characters. */
export function fromHex(hex: string): Uint8Array {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) {
    throw new InvalidArgumentError('hex string must have an even number of hex digits');
  }
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}
