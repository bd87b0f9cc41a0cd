/**
 * scrypt (RFC 7914) parameters of passphrase-protected key store files. They are stored in the file
 * header with the salt, so a store made with one setting stays readable after the default rises,
 * and `FileKeyStore.changeSecret` can move a file to stronger ones.
 *
 * Cost: scrypt needs 128 · n · r bytes of memory and time proportional to n · r · p. The default
 * (n = 2^17, r = 8, p = 1, the OWASP password-storage minimum) takes 128 MiB and 0.6–0.8 s on one
 * core of this repository's 2-core machine, once per open (the derived key is kept while the store
 * is open, so writes do not pay it again). Every doubling of n doubles both. The limits below keep a
 * tampered header from making an open allocate more than 1 GiB.
 */

/** scrypt cost parameters: CPU/memory cost n (a power of two), block size r, parallelism p. */
export interface ScryptParams {
  readonly n: number;
  readonly r: number;
  readonly p: number;
}

/** The default for new files: 128 MiB of memory, well under a second. */
export const DEFAULT_SCRYPT_PARAMS: ScryptParams = Object.freeze({ n: 2 ** 17, r: 8, p: 1 });

/** What this build accepts, when writing and when reading a header. */
export const SCRYPT_LIMITS = Object.freeze({
  minN: 2 ** 14,
  maxN: 2 ** 20,
  maxR: 32,
  maxP: 16,
  /** 128 · n · r at most: 1 GiB. */
  maxMemoryBytes: 2 ** 30,
});

/** What is wrong with `params`, or undefined when they are within SCRYPT_LIMITS. */
export function scryptParamsProblem(params: ScryptParams): string | undefined {
  const { n, r, p } = params;
  if (
    !Number.isSafeInteger(n) ||
    n < SCRYPT_LIMITS.minN ||
    n > SCRYPT_LIMITS.maxN ||
    (n & (n - 1)) !== 0
  ) {
    return `scrypt n must be a power of two from 2^14 to 2^20, got ${String(n)}`;
  }
  if (!Number.isSafeInteger(r) || r < 1 || r > SCRYPT_LIMITS.maxR) {
    return `scrypt r must be an integer from 1 to ${SCRYPT_LIMITS.maxR}, got ${String(r)}`;
  }
  if (!Number.isSafeInteger(p) || p < 1 || p > SCRYPT_LIMITS.maxP) {
    return `scrypt p must be an integer from 1 to ${SCRYPT_LIMITS.maxP}, got ${String(p)}`;
  }
  if (128 * n * r > SCRYPT_LIMITS.maxMemoryBytes) {
    return `scrypt n and r need 128 * n * r = ${128 * n * r} bytes, more than the 1 GiB limit`;
  }
  return undefined;
}

/** Memory one scrypt derivation with `params` needs, in bytes (128 · n · r, plus 128 · r · p). */
export function scryptMemoryBytes(params: ScryptParams): number {
  return 128 * params.r * (params.n + params.p);
}
