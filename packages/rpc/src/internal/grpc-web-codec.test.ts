import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  base64Decode,
  base64Encode,
  codeForHttpStatus,
  decodeTimeout,
  encodeFrame,
  encodeTimeout,
  encodeTrailers,
  parseFrames,
  parseTrailers,
  percentDecode,
  percentEncode,
  readStatus,
} from './grpc-web-codec.ts';

describe('gRPC-web frames', () => {
  it('writes the flag and a big-endian length before the payload', () => {
    expect([...encodeFrame(0x80, Uint8Array.of(7, 8, 9))]).toEqual([0x80, 0, 0, 0, 3, 7, 8, 9]);
    expect([...encodeFrame(0, new Uint8Array())]).toEqual([0, 0, 0, 0, 0]);
  });

  it('splits any sequence of frames back into flags and payloads', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ flag: fc.integer({ min: 0, max: 255 }), payload: fc.uint8Array() })),
        (frames) => {
          const body = new Uint8Array(frames.flatMap((f) => [...encodeFrame(f.flag, f.payload)]));
          expect(parseFrames(body)).toEqual(frames);
        },
      ),
    );
  });

  it('refuses a body that ends inside a frame', () => {
    expect(() => parseFrames(Uint8Array.of(0, 0, 0))).toThrow(
      new RangeError('gRPC-web body ends inside a frame header'),
    );
    expect(() => parseFrames(Uint8Array.of(0, 0, 0, 0, 2, 1))).toThrow(
      new RangeError('gRPC-web frame announces 2 bytes, 1 left'),
    );
  });
});

describe('gRPC-web trailers', () => {
  it('round-trips names (lower-cased) and values', () => {
    const block = encodeTrailers([
      ['Grpc-Status', '3'],
      ['grpc-message', 'bad%20input'],
    ]);
    expect(new TextDecoder().decode(block)).toBe('grpc-status: 3\r\ngrpc-message: bad%20input\r\n');
    expect([...parseTrailers(block)]).toEqual([
      ['grpc-status', '3'],
      ['grpc-message', 'bad%20input'],
    ]);
  });

  it('reads a status with percent-decoded message and base64 details, padded or not', () => {
    const trailers = new Map([
      ['grpc-status', '5'],
      ['grpc-message', 'caf%C3%A9 %25'],
      ['grpc-status-details-bin', 'AQID'],
    ]);
    expect(readStatus((name) => trailers.get(name))).toEqual({
      code: 5,
      message: 'café %',
      details: Uint8Array.of(1, 2, 3),
    });
    expect(base64Decode('AQ')).toEqual(Uint8Array.of(1));
    expect(readStatus(() => null)).toBe(undefined);
    expect(readStatus((name) => (name === 'grpc-status' ? 'x' : null))).toEqual({
      code: 2,
      message: '',
      details: undefined,
    });
  });
});

describe('grpc-message percent-encoding', () => {
  it('round-trips any string and keeps the header printable ASCII', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (message) => {
        const encoded = percentEncode(message);
        expect(encoded).toMatch(/^[\x20-\x7e]*$/);
        expect(percentDecode(encoded)).toBe(message);
      }),
    );
  });

  it('leaves malformed escapes as they are', () => {
    expect(percentDecode('100% sure %zz')).toBe('100% sure %zz');
  });
});

describe('base64', () => {
  it('round-trips any bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array(), (bytes) => {
        expect(base64Decode(base64Encode(bytes))).toEqual(bytes);
      }),
    );
  });
});

describe('grpc-timeout', () => {
  it('encodes milliseconds in at most 8 digits and decodes every unit', () => {
    expect(encodeTimeout(1500)).toBe('1500m');
    expect(encodeTimeout(0.2)).toBe('1m');
    expect(encodeTimeout(100_000_000)).toBe('100000S');
    expect(encodeTimeout(1e15)).toBe('99999999H');
    expect(['2H', '3M', '4S', '5m', '6000u', '7000000n'].map(decodeTimeout)).toEqual([
      7_200_000, 180_000, 4000, 5, 6, 7,
    ]);
    expect(['', '5', '5x', '123456789m', '-1m'].map(decodeTimeout)).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
  });
});

describe('HTTP status without a gRPC status', () => {
  it('maps as the gRPC spec says', () => {
    expect([400, 401, 403, 404, 429, 502, 503, 504, 500, 413].map(codeForHttpStatus)).toEqual([
      13, 16, 7, 12, 14, 14, 14, 14, 2, 2,
    ]);
  });
});
