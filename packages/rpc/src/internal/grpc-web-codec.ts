/**
 * The bytes of gRPC-web (https://github.com/grpc/grpc/blob/master/doc/PROTOCOL-WEB.md), shared by
 * the fetch transport and the proxy: 5-byte frames (flag, big-endian length), trailers as an
 * HTTP/1 header block in a frame flagged 0x80, `grpc-timeout` values, percent-encoded
 * `grpc-message` (PROTOCOL-HTTP2.md) and base64 `-bin` values. Only Uint8Array and web globals
 * (TextEncoder, btoa, atob), so it runs in browsers.
 *
 * Not supported: compressed frames (flag 0x01) and the base64 `application/grpc-web-text` format.
 */
import { Code } from '@proof-messenger/errors';
import type { WireStatus } from '../status-decoder.ts';

/** Flag of a data frame. */
export const DATA_FLAG = 0x00;
/** Flag bit of the trailers frame. */
export const TRAILER_FLAG = 0x80;
/** Flag bit of a compressed frame. */
export const COMPRESSED_FLAG = 0x01;
/** Bytes before a frame's payload. */
export const FRAME_HEADER_BYTES = 5;

/** The content type this code sends and accepts (`application/grpc-web` is accepted too). */
export const GRPC_WEB_CONTENT_TYPE = 'application/grpc-web+proto';

/** One frame of a gRPC-web body. */
export interface Frame {
  readonly flag: number;
  readonly payload: Uint8Array;
}

/** A frame: flag, 4-byte big-endian payload length, payload. */
export function encodeFrame(flag: number, payload: Uint8Array): Uint8Array {
  const frame = new Uint8Array(FRAME_HEADER_BYTES + payload.length);
  frame[0] = flag;
  new DataView(frame.buffer).setUint32(1, payload.length);
  frame.set(payload, FRAME_HEADER_BYTES);
  return frame;
}

/**
 * Splits a complete body into frames.
 * @throws RangeError when the body ends inside a frame
 */
export function parseFrames(body: Uint8Array): Frame[] {
  const frames: Frame[] = [];
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  let offset = 0;
  while (offset < body.length) {
    if (body.length - offset < FRAME_HEADER_BYTES) {
      throw new RangeError('gRPC-web body ends inside a frame header');
    }
    const flag = view.getUint8(offset);
    const length = view.getUint32(offset + 1);
    const start = offset + FRAME_HEADER_BYTES;
    if (body.length - start < length) {
      throw new RangeError(`gRPC-web frame announces ${length} bytes, ${body.length - start} left`);
    }
    frames.push({ flag, payload: body.subarray(start, start + length) });
    offset = start + length;
  }
  return frames;
}

/** A trailers block: `name: value\r\n` per entry, names lower-case. */
export function encodeTrailers(trailers: Iterable<readonly [string, string]>): Uint8Array {
  let block = '';
  for (const [name, value] of trailers) block += `${name.toLowerCase()}: ${value}\r\n`;
  return new TextEncoder().encode(block);
}

/** Parses a trailers block into lower-case names; a repeated name keeps values comma-joined. */
export function parseTrailers(block: Uint8Array): Map<string, string> {
  const trailers = new Map<string, string>();
  for (const line of new TextDecoder().decode(block).split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    const seen = trailers.get(name);
    trailers.set(name, seen === undefined ? value : `${seen},${value}`);
  }
  return trailers;
}

/**
 * The status in a set of headers or trailers (`grpc-status`, `grpc-message`,
 * `grpc-status-details-bin`), or undefined when they carry no `grpc-status`.
 */
export function readStatus(
  get: (name: string) => string | null | undefined,
): WireStatus | undefined {
  const code = get('grpc-status');
  if (code === null || code === undefined || code === '') return undefined;
  const parsed = /^\d+$/.test(code.trim()) ? Number(code.trim()) : Code.UNKNOWN;
  const details = get('grpc-status-details-bin');
  let detailBytes: Uint8Array | undefined;
  if (details !== null && details !== undefined && details !== '') {
    try {
      detailBytes = base64Decode(details);
    } catch {
      detailBytes = undefined;
    }
  }
  return { code: parsed, message: percentDecode(get('grpc-message') ?? ''), details: detailBytes };
}

/** `grpc-message` encoding: UTF-8, then every byte outside 0x20–0x7E, and `%`, as %XX. */
export function percentEncode(message: string): string {
  let out = '';
  for (const byte of new TextEncoder().encode(message)) {
    out +=
      byte >= 0x20 && byte <= 0x7e && byte !== 0x25
        ? String.fromCharCode(byte)
        : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** Reverses `percentEncode`; malformed escapes stay as they are, as the spec asks. */
export function percentDecode(value: string): string {
  if (!value.includes('%')) return value;
  const bytes: number[] = [];
  for (let i = 0; i < value.length; i++) {
    const hex = value.slice(i + 1, i + 3);
    if (value[i] === '%' && /^[0-9a-fA-F]{2}$/.test(hex)) {
      bytes.push(Number.parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(...new TextEncoder().encode(value[i]));
    }
  }
  return new TextDecoder().decode(new Uint8Array(bytes));
}

/** Padded standard base64. */
export function base64Encode(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/**
 * Decodes base64 with or without padding (gRPC senders may omit it), standard or URL alphabet.
 * @throws DOMException (InvalidCharacterError) on anything else
 */
export function base64Decode(value: string): Uint8Array {
  const standard = value.trim().replaceAll('-', '+').replaceAll('_', '/');
  const binary = atob(standard.padEnd(Math.ceil(standard.length / 4) * 4, '='));
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

const TIMEOUT_UNITS_MS = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 0.001, n: 0.000_001 };

/** A `grpc-timeout` value for `ms` milliseconds (at most 8 digits, as the spec requires). */
export function encodeTimeout(ms: number): string {
  const whole = Math.max(0, Math.ceil(ms));
  if (whole < 100_000_000) return `${whole}m`;
  if (whole < 100_000_000_000) return `${Math.ceil(whole / 1000)}S`;
  return `${Math.min(99_999_999, Math.ceil(whole / 3_600_000))}H`;
}

/** Milliseconds in a `grpc-timeout` value, or undefined when it is not one. */
export function decodeTimeout(value: string): number | undefined {
  const match = /^(\d{1,8})([HMSmun])$/.exec(value.trim());
  if (match === null) return undefined;
  const [, amount, unit] = match as unknown as [string, string, keyof typeof TIMEOUT_UNITS_MS];
  return Number(amount) * TIMEOUT_UNITS_MS[unit];
}

/** The gRPC code for an HTTP status that came without one (PROTOCOL-WEB / http-grpc-status-mapping). */
export function codeForHttpStatus(status: number): Code {
  switch (status) {
    case 400:
      return Code.INTERNAL;
    case 401:
      return Code.UNAUTHENTICATED;
    case 403:
      return Code.PERMISSION_DENIED;
    case 404:
      return Code.UNIMPLEMENTED;
    case 429:
    case 502:
    case 503:
    case 504:
      return Code.UNAVAILABLE;
    default:
      return Code.UNKNOWN;
  }
}
