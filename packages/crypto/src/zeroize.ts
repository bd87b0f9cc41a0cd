/**
 * Best-effort wiping of secret buffers. JavaScript gives no guarantee that a secret was never
 * copied (the engine may move or copy buffers, and strings are immutable), so this only shortens
 * how long a secret stays readable in buffers we own. Key objects held by node:crypto live in
 * OpenSSL memory, which OpenSSL clears when the object is freed.
 */

/** Overwrites each buffer with zeros. */
export function zeroize(...buffers: Array<Uint8Array | undefined>): void {
  for (const buffer of buffers) buffer?.fill(0);
}
