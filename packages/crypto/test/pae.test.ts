/**
 * Properties of the pre-authentication encoding: it is injective (distinct piece lists never share
 * bytes) and decodable, and matches the PASETO definition on known answers.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { pae, toHex, utf8 } from '../src/index.ts';

/** Reference decoder, written from the spec independently of the encoder. */
function decodePae(bytes: Uint8Array): Uint8Array[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = Number(view.getBigUint64(0, true));
  const pieces: Uint8Array[] = [];
  let offset = 8;
  for (let i = 0; i < count; i++) {
    const length = Number(view.getBigUint64(offset, true));
    pieces.push(bytes.slice(offset + 8, offset + 8 + length));
    offset += 8 + length;
  }
  if (offset !== bytes.length) throw new Error('trailing bytes');
  return pieces;
}

const piece = fc.uint8Array({ maxLength: 40 });

describe('pae', () => {
  it('matches the PASETO known answers', () => {
    // PASETO spec: PAE([]) = 00..00, PAE(['']) = 01 00.. 00.., PAE(['test']) = 01.. 04.. 'test'
    expect(toHex(pae(''))).toBe(`0100000000000000${'00'.repeat(8)}`);
    expect(toHex(pae('test'))).toBe('0100000000000000040000000000000074657374');
  });

  it('decode(encode(x)) = x', () => {
    fc.assert(
      fc.property(fc.string(), fc.array(piece, { maxLength: 6 }), (domain, pieces) => {
        const decoded = decodePae(pae(domain, ...pieces));
        expect(decoded.map(toHex)).toEqual([utf8(domain), ...pieces].map(toHex));
      }),
    );
  });

  it('distinct inputs never share bytes', () => {
    fc.assert(
      fc.property(
        fc.string(),
        fc.array(piece, { maxLength: 4 }),
        fc.string(),
        fc.array(piece, { maxLength: 4 }),
        (domainA, piecesA, domainB, piecesB) => {
          const same =
            domainA === domainB &&
            piecesA.length === piecesB.length &&
            piecesA.every((p, i) => toHex(p) === toHex(piecesB[i] ?? new Uint8Array(0)));
          const equalBytes = toHex(pae(domainA, ...piecesA)) === toHex(pae(domainB, ...piecesB));
          expect(equalBytes).toBe(same);
        },
      ),
    );
  });

  it('moving bytes between adjacent pieces changes the encoding', () => {
    fc.assert(
      fc.property(piece, piece, fc.nat(), (a, b, cut) => {
        const joined = new Uint8Array([...a, ...b]);
        const at = cut % (joined.length + 1);
        const split = [joined.slice(0, at), joined.slice(at)] as const;
        fc.pre(at !== a.length);
        expect(toHex(pae('d', a, b))).not.toBe(toHex(pae('d', ...split)));
      }),
    );
  });
});
