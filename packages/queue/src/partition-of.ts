/**
 * The partition of a recipient: a stable hash (FNV-1a, 32-bit, over the UTF-8 id) modulo the
 * partition count. Stable across processes, versions and languages, so every instance routes a
 * recipient to the same partition without coordination.
 */
const encoder = new TextEncoder();

/** Partition number in [0, partitions) for `recipientId`. */
export function partitionOf(recipientId: string, partitions: number): number {
  if (!Number.isInteger(partitions) || partitions < 1) {
    throw new RangeError(`partitions must be a positive integer, got ${partitions}`);
  }
  let hash = 0x811c9dc5;
  for (const byte of encoder.encode(recipientId)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % partitions;
}
