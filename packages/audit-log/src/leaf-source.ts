/**
 * The port through which proof generation reads a log's tree: leaf hashes by index, and, when the
 * store keeps them, the hashes of perfect subtrees. A store that keeps every level (2n hashes for
 * n leaves, as Trillian does) answers any proof with O(log n) lookups; one that keeps only leaves
 * still works, at O(n) hashing per proof. Answers may be synchronous (memory) or promises (a
 * database). Because the log is append-only, a perfect subtree never changes once complete, so
 * proofs against any earlier tree size come from the same nodes.
 */

/** A value or a promise of it. */
export type Awaitable<T> = T | Promise<T>;

/** Read access to a log's Merkle tree. */
export interface LeafSource {
  /** How many leaves the log holds now. */
  size(): Awaitable<number>;
  /** The leaf hash SHA-256(0x00 || leaf) of leaf `index` (< size). */
  leafHash(index: number): Awaitable<Uint8Array>;
  /**
   * Optional: MTH of the perfect subtree over leaves [index·2^level, (index+1)·2^level), which
   * must lie within size. Level 0 is the leaf hash. Without it, nodes are computed from leaves.
   */
  nodeHash?(level: number, index: number): Awaitable<Uint8Array>;
}
