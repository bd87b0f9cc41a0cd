/**
 * Boundary checks of the audit-log package: every public function checks its arguments here
 * first, so a wrong type or range fails with an InvalidArgumentError naming the argument.
 */
import { Buffer } from 'node:buffer';
import { InvalidArgumentError } from '@proof-messenger/errors';

/** Throws unless `value` is a Uint8Array of 32 bytes (a SHA-256 hash). */
export function checkHash(name: string, value: unknown): Uint8Array {
  if (!(value instanceof Uint8Array)) {
    throw new InvalidArgumentError(`${name} must be a Uint8Array, got ${describe(value)}`, {
      field: name,
    });
  }
  if (value.length !== 32) {
    throw new InvalidArgumentError(`${name} must be 32 bytes, got ${value.length}`, {
      field: name,
      metadata: { expected: '32', actual: String(value.length) },
    });
  }
  return value;
}

/** Throws unless `value` is a safe non-negative integer. */
export function checkIndex(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new InvalidArgumentError(
      `${name} must be a non-negative safe integer, got ${typeof value === 'number' ? value : describe(value)}`,
      { field: name },
    );
  }
  return value;
}

/**
 * Throws unless `value` is a string of well-formed UTF-16 (so its UTF-8 bytes are unique) of at
 * most `maxBytes` UTF-8 bytes; returns it. Checks without encoding (audit entries are checked
 * when recorded and encoded later, once).
 */
export function checkTextValue(name: string, value: unknown, maxBytes: number): string {
  if (typeof value !== 'string') {
    throw new InvalidArgumentError(`${name} must be a string, got ${describe(value)}`, {
      field: name,
    });
  }
  // A lone surrogate would encode as U+FFFD, so two different strings would share one encoding.
  if (!value.isWellFormed()) {
    throw new InvalidArgumentError(`${name} must be well-formed Unicode (no lone surrogates)`, {
      field: name,
    });
  }
  // At most 3 UTF-8 bytes per UTF-16 unit: only long strings need counting.
  const bytes = value.length * 3 <= maxBytes ? 0 : Buffer.byteLength(value, 'utf8');
  if (bytes > maxBytes) {
    throw new InvalidArgumentError(
      `${name} must be at most ${maxBytes} UTF-8 bytes, got ${bytes}`,
      { field: name, metadata: { max: String(maxBytes), actual: String(bytes) } },
    );
  }
  return value;
}

/** `checkTextValue`, returning the UTF-8 bytes. */
export function checkText(name: string, value: unknown, maxBytes: number): Uint8Array {
  return encoder.encode(checkTextValue(name, value, maxBytes));
}

/** Big-endian unsigned 64-bit encoding of a safe integer. */
export function u64be(value: number): Uint8Array {
  const out = new Uint8Array(8);
  const view = new DataView(out.buffer);
  // Two 32-bit halves: no BigInt per call (two per audit entry).
  view.setUint32(0, Math.floor(value / 0x1_0000_0000));
  view.setUint32(4, value >>> 0);
  return out;
}

const encoder = new TextEncoder();

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') return value.constructor?.name ?? 'object';
  return typeof value;
}
