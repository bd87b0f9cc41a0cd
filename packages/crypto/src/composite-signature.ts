/**
 * Composite ML-DSA-65 + Ed25519 signatures, following the construction of the IETF LAMPS draft
 * "Composite ML-DSA for use in X.509 PKI and CMS" (draft-ietf-lamps-pq-composite-sigs, 2025
 * revisions, algorithm id-MLDSA65-Ed25519-SHA512):
 *
 *   M' = Prefix || Label || len(ctx) || ctx || SHA-512(M)
 *   Prefix = "CompositeAlgorithmSignatures2025", Label = "COMPSIG-MLDSA65-Ed25519-SHA512"
 *   mlDsa65 = ML-DSA-65.Sign(sk1, M', context = Label)      (FIPS 204, hedged)
 *   ed25519 = Ed25519.Sign(sk2, M')                          (RFC 8032, pure)
 *
 * Both components are always required. Why they cannot be separated:
 * - Stripping: a verifier accepts only both signatures together, each over M'.
 * - Reuse as a standalone signature: each component signs M', never M; M' begins with the composite
 *   prefix and label, so it is not a message any standalone Proof-Messenger verifier accepts, and
 *   the ML-DSA component additionally carries the composite label as its FIPS 204 context.
 * - Moving to another message or context: M' binds SHA-512(M) and the application context.
 * - Moving to another composite algorithm: the label differs per algorithm combination.
 *
 * Caveat: hedged ML-DSA signatures are randomized, so two signatures of one message differ; Ed25519
 * signatures are deterministic. A signature stays valid only as long as both algorithms stand;
 * forging one requires breaking both.
 */
import type { CryptoProvider, KeyPair } from './crypto-provider.ts';
import { checkBytes, checkMaxBytes, concatBytes, utf8 } from './internal/bytes.ts';
import { keyIdOf } from './key-id.ts';
import { zeroize } from './zeroize.ts';

/** Sizes in bytes of the composite key and signature parts. */
export const COMPOSITE_SIZES = {
  seed: 64,
  mlDsa65PublicKey: 1952,
  ed25519PublicKey: 32,
  mlDsa65Signature: 3309,
  ed25519Signature: 64,
  maxContext: 255,
} as const;

const PREFIX = utf8('CompositeAlgorithmSignatures2025');
const LABEL = utf8('COMPSIG-MLDSA65-Ed25519-SHA512');

/** The public half of a composite identity key. */
export interface CompositePublicKey {
  readonly keyId: string;
  readonly mlDsa65: Uint8Array;
  readonly ed25519: Uint8Array;
}

/** A composite signature: both components, always together. */
export interface CompositeSignature {
  readonly mlDsa65: Uint8Array;
  readonly ed25519: Uint8Array;
}

/** The composite message representative M' for message M under application context ctx. */
export function compositeMessage(
  provider: CryptoProvider,
  message: Uint8Array,
  context: Uint8Array,
): Uint8Array {
  return concatBytes(
    PREFIX,
    LABEL,
    Uint8Array.of(context.length),
    context,
    provider.sha512(message),
  );
}

function checkContext(context: unknown): Uint8Array {
  return checkMaxBytes('context', context, COMPOSITE_SIZES.maxContext);
}

/** Builds a composite public key record (with its key id) from the two raw public keys. */
export function compositePublicKey(
  provider: CryptoProvider,
  mlDsa65: Uint8Array,
  ed25519: Uint8Array,
): CompositePublicKey {
  checkBytes('mlDsa65 public key', mlDsa65, COMPOSITE_SIZES.mlDsa65PublicKey);
  checkBytes('ed25519 public key', ed25519, COMPOSITE_SIZES.ed25519PublicKey);
  return {
    keyId: keyIdOf(provider, 'mldsa65-ed25519', concatBytes(mlDsa65, ed25519)),
    mlDsa65,
    ed25519,
  };
}

/**
 * A composite signing key held in memory. The 64-byte seed is ML-DSA-65 seed ξ (32 bytes) followed
 * by the Ed25519 private key (32 bytes), the private key layout of the composite draft.
 */
export class CompositeSigner {
  readonly publicKey: CompositePublicKey;
  readonly #provider: CryptoProvider;
  readonly #mlDsa: KeyPair;
  readonly #ed: KeyPair;

  private constructor(provider: CryptoProvider, mlDsa: KeyPair, ed: KeyPair) {
    this.#provider = provider;
    this.#mlDsa = mlDsa;
    this.#ed = ed;
    this.publicKey = compositePublicKey(provider, mlDsa.publicKey, ed.publicKey);
  }

  /**
   * Derives the key pair from a 64-byte seed. The caller keeps (and should zeroize) the seed.
   * @throws InvalidArgumentError when the seed is not 64 bytes
   */
  static fromSeed(provider: CryptoProvider, seed: Uint8Array): CompositeSigner {
    checkBytes('composite seed', seed, COMPOSITE_SIZES.seed);
    return new CompositeSigner(
      provider,
      provider.mlDsa65FromSeed(seed.subarray(0, 32)),
      provider.ed25519FromSeed(seed.subarray(32, 64)),
    );
  }

  /** A fresh random key; returns the signer and its seed (to store encrypted). */
  static generate(provider: CryptoProvider): { signer: CompositeSigner; seed: Uint8Array } {
    const seed = provider.randomBytes(COMPOSITE_SIZES.seed);
    return { signer: CompositeSigner.fromSeed(provider, seed), seed };
  }

  /** The key id of the public key. */
  get keyId(): string {
    return this.publicKey.keyId;
  }

  /**
   * Signs `message` under application `context` (at most 255 bytes).
   * @throws InvalidArgumentError on a wrong input type or a context longer than 255 bytes
   */
  async sign(message: Uint8Array, context: Uint8Array): Promise<CompositeSignature> {
    checkBytes('message', message);
    const representative = compositeMessage(this.#provider, message, checkContext(context));
    const [mlDsa65, ed25519] = await Promise.all([
      this.#provider.mlDsa65Sign(this.#mlDsa.privateKey, representative, LABEL),
      this.#provider.ed25519Sign(this.#ed.privateKey, representative),
    ]);
    zeroize(representative);
    return { mlDsa65, ed25519 };
  }
}

/**
 * Verifies a composite signature: true only when both components verify over M'. Wrong lengths
 * of any part make it false (never a throw), so a verifier can treat every failure alike.
 * @throws InvalidArgumentError when an argument is not a Uint8Array or the context is too long
 */
export async function verifyComposite(
  provider: CryptoProvider,
  publicKey: CompositePublicKey,
  message: Uint8Array,
  signature: CompositeSignature,
  context: Uint8Array,
): Promise<boolean> {
  checkBytes('message', message);
  const ctx = checkContext(context);
  const mlDsa65 = checkBytes('mlDsa65 signature', signature.mlDsa65);
  const ed25519 = checkBytes('ed25519 signature', signature.ed25519);
  if (
    mlDsa65.length !== COMPOSITE_SIZES.mlDsa65Signature ||
    ed25519.length !== COMPOSITE_SIZES.ed25519Signature ||
    publicKey.mlDsa65.length !== COMPOSITE_SIZES.mlDsa65PublicKey ||
    publicKey.ed25519.length !== COMPOSITE_SIZES.ed25519PublicKey
  ) {
    return false;
  }
  const representative = compositeMessage(provider, message, ctx);
  const [pq, classical] = await Promise.all([
    provider.mlDsa65Verify(publicKey.mlDsa65, representative, mlDsa65, LABEL),
    provider.ed25519Verify(publicKey.ed25519, representative, ed25519),
  ]);
  return pq && classical;
}
