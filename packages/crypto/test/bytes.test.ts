/**
 * Hex encoding (`toHex`, `fromHex`): exact digits against Node's own hex, round trips, and the
 * rejections of `fromHex`.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../src/index.ts';

describe('toHex / fromHex', () => {
  it('encodes every byte value as two lower-case digits, in order', () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect(toHex(all)).toBe(Buffer.from(all).toString('hex'));
    expect(toHex(new Uint8Array(0))).toBe('');
    expect(toHex(Uint8Array.of(0, 10, 255))).toBe('000aff');
  });

  it('encodes a view by its own bytes only, not its whole buffer', () => {
    const buffer = Uint8Array.of(1, 2, 3, 4, 5);
    expect(toHex(buffer.subarray(1, 3))).toBe('0203');
  });

  it('matches Node for any bytes and round-trips through fromHex', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 5000 }), (bytes) => {
        const hex = toHex(bytes);
        expect(hex).toBe(Buffer.from(bytes).toString('hex'));
        expect(fromHex(hex)).toEqual(bytes);
      }),
      { numRuns: 200 },
    );
  });

  it('refuses odd lengths and non-hex characters', () => {
    expect(() => fromHex('abc')).toThrow('hex string must have an even number of hex digits');
    expect(() => fromHex('zz')).toThrow('hex string must have an even number of hex digits');
  });
});
