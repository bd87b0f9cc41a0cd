/**
 * The Merkle tree hash of RFC 6962 §2.1 / RFC 9162 §2.1 with SHA-256:
 *
 *   MTH({})      = SHA-256()                      (the empty string)
 *   MTH({d0})    = SHA-256(0x00 || d0)            (leaf hash)
 *   MTH(D[n])    = SHA-256(0x01 || MTH(D[0:k]) || MTH(D[k:n])),  k = largest power of two < n
 *
 * The 0x00 / 0x01 prefixes keep a leaf from ever being read as an interior node (second-preimage
 * protection). SHA-256 comes from the crypto provider, so the same code runs on node:crypto and on
 * @noble/hashes and both give identical bytes.
 */
import type { CryptoProvider } from '@proof-messenger/crypto';
import { checkHash } from './internal/checks.ts';

/** Size in bytes of every hash in the tree (SHA-256). */
export const HASH_SIZE = 32;

/** Leaf and node hashing of RFC 6962 over one provider's SHA-256. */
export class MerkleHasher {
  readonly #provider: CryptoProvider;
  // 0x01 || left || right, reused: node hashing dominates appends and proof verification.
  readonly #node = new Uint8Array(1 + 2 * HASH_SIZE);

  constructor(provider: CryptoProvider) {
    this.#provider = provider;
    this.#node[0] = 0x01;
  }

  /** MTH of the empty tree: SHA-256 of the empty string. */
  emptyRoot(): Uint8Array {
    return this.#provider.sha256(new Uint8Array(0));
  }

  /** SHA-256(0x00 || data). */
  hashLeaf(data: Uint8Array): Uint8Array {
    const input = new Uint8Array(1 + data.length);
    input.set(data, 1);
    return this.#provider.sha256(input);
  }

  /**
   * SHA-256(0x01 || left || right).
   * @throws InvalidArgumentError when either child is not a 32-byte Uint8Array
   */
  hashChildren(left: Uint8Array, right: Uint8Array): Uint8Array {
    this.#node.set(checkHash('left child', left), 1);
    this.#node.set(checkHash('right child', right), 1 + HASH_SIZE);
    return this.#provider.sha256(this.#node);
  }
}
