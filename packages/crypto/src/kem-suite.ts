/**
 * Key encapsulation suites. The suite id travels in every envelope header (the numbers are those of
 * `proofmessenger.v1.Suite`), so a message stays readable after the default suite changes.
 *
 * - 1: ML-KEM-768 (FIPS 203). Seeds are 64 bytes (d || z).
 * - 2: X-Wing (X25519 + ML-KEM-768, draft-connolly-cfrg-xwing-kem). Seeds are 32 bytes. Secure if
 *   either component is: the stronger choice while ML-KEM implementations are young.
 */
import { UnsupportedSuiteError } from '@proof-messenger/errors';
import type { CryptoProvider, Encapsulation, PrivateKeyHandle } from './crypto-provider.ts';
import { checkBytes } from './internal/bytes.ts';
import { type KeyIdAlgorithm, keyIdOf } from './key-id.ts';
import {
  XWING_SIZES,
  type XWingPrivateKey,
  xWingDecapsulate,
  xWingEncapsulate,
  xWingFromSeed,
} from './x-wing.ts';

/** Suite ids, equal to `proofmessenger.v1.Suite`. */
export const Suite = {
  MLKEM768_HKDFSHA256_AES256GCM_MLDSA65ED25519: 1,
  XWING_HKDFSHA256_AES256GCM_MLDSA65ED25519: 2,
} as const;

/** A suite id. */
export type Suite = (typeof Suite)[keyof typeof Suite];

interface SuiteSizes {
  readonly seed: number;
  readonly publicKey: number;
  readonly ciphertext: number;
  readonly keyIdAlgorithm: KeyIdAlgorithm;
}

const SIZES: Record<Suite, SuiteSizes> = {
  1: { seed: 64, publicKey: 1184, ciphertext: 1088, keyIdAlgorithm: 'ml-kem-768' },
  2: {
    seed: XWING_SIZES.seed,
    publicKey: XWING_SIZES.publicKey,
    ciphertext: XWING_SIZES.ciphertext,
    keyIdAlgorithm: 'x-wing',
  },
};

/**
 * The sizes of a suite's keys and ciphertexts.
 * @throws UnsupportedSuiteError for an unknown suite id
 */
export function suiteSizes(suite: number): SuiteSizes {
  const sizes = SIZES[suite as Suite];
  if (sizes === undefined) {
    throw new UnsupportedSuiteError(
      `suite ${suite} is not supported; use 1 (ML-KEM-768) or 2 (X-Wing)`,
      { field: 'suite' },
    );
  }
  return sizes;
}

/** A KEM key pair (decapsulation key in memory) of one suite. */
export class KemKeyPair {
  readonly suite: Suite;
  readonly publicKey: Uint8Array;
  readonly keyId: string;
  readonly #provider: CryptoProvider;
  readonly #privateKey: PrivateKeyHandle | XWingPrivateKey;

  private constructor(
    provider: CryptoProvider,
    suite: Suite,
    publicKey: Uint8Array,
    privateKey: PrivateKeyHandle | XWingPrivateKey,
  ) {
    this.#provider = provider;
    this.suite = suite;
    this.publicKey = publicKey;
    this.#privateKey = privateKey;
    this.keyId = keyIdOf(provider, suiteSizes(suite).keyIdAlgorithm, publicKey);
  }

  /**
   * Derives a key pair from a seed (64 bytes for ML-KEM-768, 32 for X-Wing).
   * @throws UnsupportedSuiteError, InvalidArgumentError on a wrong seed length
   */
  static fromSeed(provider: CryptoProvider, suite: number, seed: Uint8Array): KemKeyPair {
    const sizes = suiteSizes(suite);
    checkBytes('KEM seed', seed, sizes.seed);
    const pair =
      suite === Suite.XWING_HKDFSHA256_AES256GCM_MLDSA65ED25519
        ? xWingFromSeed(provider, seed)
        : provider.mlKem768FromSeed(seed);
    return new KemKeyPair(provider, suite as Suite, pair.publicKey, pair.privateKey);
  }

  /** A fresh random key pair and its seed (to store encrypted). */
  static generate(
    provider: CryptoProvider,
    suite: number,
  ): { keyPair: KemKeyPair; seed: Uint8Array } {
    const seed = provider.randomBytes(suiteSizes(suite).seed);
    return { keyPair: KemKeyPair.fromSeed(provider, suite, seed), seed };
  }

  /**
   * Recovers the shared secret from a ciphertext made for this key.
   * @throws InvalidArgumentError / DecryptionError on a malformed ciphertext
   */
  decapsulate(ciphertext: Uint8Array): Promise<Uint8Array> {
    checkBytes('KEM ciphertext', ciphertext, suiteSizes(this.suite).ciphertext);
    if (this.suite === Suite.XWING_HKDFSHA256_AES256GCM_MLDSA65ED25519) {
      return xWingDecapsulate(this.#provider, this.#privateKey as XWingPrivateKey, ciphertext);
    }
    return this.#provider.mlKem768Decapsulate(this.#privateKey as PrivateKeyHandle, ciphertext);
  }
}

/**
 * Encapsulates a fresh shared secret to a public key of `suite`.
 * @throws UnsupportedSuiteError, InvalidArgumentError on a wrong-length or malformed key
 */
export function kemEncapsulate(
  provider: CryptoProvider,
  suite: number,
  publicKey: Uint8Array,
): Promise<Encapsulation> {
  checkBytes('KEM public key', publicKey, suiteSizes(suite).publicKey);
  return suite === Suite.XWING_HKDFSHA256_AES256GCM_MLDSA65ED25519
    ? xWingEncapsulate(provider, publicKey)
    : provider.mlKem768Encapsulate(publicKey);
}
