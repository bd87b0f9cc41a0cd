/**
 * partitionOf: FNV-1a 32-bit over UTF-8, checked against the published FNV-1a vectors (with
 * 2^32 partitions the partition is the hash itself), plus range, stability and spread.
 */
import { describe, expect, it } from 'vitest';
import { partitionOf } from '../src/index.ts';

const ALL = 2 ** 32;

describe('partitionOf', () => {
  it('is FNV-1a 32-bit (published vectors)', () => {
    expect(partitionOf('', ALL)).toBe(0x811c9dc5);
    expect(partitionOf('a', ALL)).toBe(0xe40c292c);
    expect(partitionOf('foobar', ALL)).toBe(0xbf9cf968);
  });

  it('hashes UTF-8 bytes, not UTF-16 code units', () => {
    // 'é' is C3 A9 in UTF-8: two rounds of FNV-1a.
    let h = 0x811c9dc5;
    for (const byte of [0xc3, 0xa9]) h = Math.imul(h ^ byte, 0x01000193) >>> 0;
    expect(partitionOf('é', ALL)).toBe(h);
  });

  it('gives stable known answers for 16 partitions', () => {
    expect(partitionOf('a', 16)).toBe(0xe40c292c % 16);
    expect(partitionOf('foobar', 16)).toBe(0xbf9cf968 % 16);
    expect(partitionOf('anything', 1)).toBe(0);
  });

  it('spreads 16,000 agent ids evenly over 16 partitions', () => {
    const counts = new Array<number>(16).fill(0);
    for (let i = 0; i < 16_000; i++) {
      const p = partitionOf(`agent-${i}`, 16);
      counts[p] = (counts[p] ?? 0) + 1;
    }
    expect(Math.min(...counts)).toBeGreaterThan(800);
    expect(Math.max(...counts)).toBeLessThan(1200);
  });

  it('rejects a partition count that is not a positive integer', () => {
    for (const bad of [0, -1, 1.5, Number.NaN]) {
      expect(() => partitionOf('a', bad)).toThrowError(
        new RangeError(`partitions must be a positive integer, got ${bad}`),
      );
    }
  });
});
