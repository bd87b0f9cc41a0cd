/**
 * Pre-authentication encoding (PAE): the one way Proof-Messenger turns several byte strings into
 * the single byte string that is signed, hashed or MACed. It is the PAE of PASETO
 * (https://github.com/paseto-standard/paseto-spec, "Authentication Padding"): the number of
 * pieces, then each piece prefixed with its length, all lengths as 64-bit little-endian integers
 * with the top bit clear. Because every length is explicit, distinct lists of pieces never encode
 * to the same bytes, so a signature over one (domain, header, payload) cannot be reinterpreted as
 * a signature over another split of the same bytes. The first piece is always a domain tag.
 */
import { checkBytes, utf8 } from './internal/bytes.ts';

/**
 * Writes `value` as 64-bit little-endian at `offset`. Lengths here are far below 2^53, so the top
 * bit stays clear as the PASETO spec requires; two 32-bit halves avoid a BigInt per length (PAE
 * runs for every envelope and every audit entry, and the BigInt path was most of its cost).
 */
function writeLe64(view: DataView, offset: number, value: number): void {
  view.setUint32(offset, value >>> 0, true);
  view.setUint32(offset + 4, Math.floor(value / 0x1_0000_0000), true);
}

/**
 * PAE(domain, ...pieces).
 * @param domain the domain and version tag, e.g. `proof-messenger/envelope/v1`
 * @throws InvalidArgumentError when a piece is not a Uint8Array
 */
export function pae(domain: string, ...pieces: readonly Uint8Array[]): Uint8Array {
  const all = [utf8(domain), ...pieces.map((piece, i) => checkBytes(`pae piece ${i}`, piece))];
  let length = 8;
  for (const piece of all) length += 8 + piece.length;
  const out = new Uint8Array(length);
  const view = new DataView(out.buffer);
  writeLe64(view, 0, all.length);
  let offset = 8;
  for (const piece of all) {
    writeLe64(view, offset, piece.length);
    out.set(piece, offset + 8);
    offset += 8 + piece.length;
  }
  return out;
}
