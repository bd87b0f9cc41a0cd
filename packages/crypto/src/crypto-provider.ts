/**
 * The seam between the protocol and the primitive implementations. Two providers implement it:
 * `nativeProvider` (node:crypto on Node 24 / OpenSSL 3.5: native ML-DSA, ML-KEM, Ed25519, X25519,
 * AES-GCM) and `nobleProvider` (@noble/*, for browsers and older runtimes). Both derive identical
 * keys from identical seeds and interoperate byte for byte; the tests check every primitive in
 * both directions.
 *
 * Providers trust their callers on lengths of secret material (the composite and KEM modules check
 * at the public boundary) but never trust public keys, signatures or ciphertexts: verification
 * returns false and decapsulation/decryption throw on malformed input, without crashing.
 *
 * Signing, verification and KEM operations are asynchronous so the native provider can run them
 * on the libuv thread pool and a single process uses every core.
 */

/** Which algorithm a private key handle belongs to. */
export type KeyAlgorithm = 'ed25519' | 'ml-dsa-65' | 'ml-kem-768' | 'x25519';

/**
 * A private key prepared by a provider (an OpenSSL key object, or expanded key bytes for noble).
 * Opaque outside the provider that made it; handles never cross providers.
 */
export interface PrivateKeyHandle {
  readonly algorithm: KeyAlgorithm;
  readonly provider: ProviderName;
}

/** A key pair derived from a seed: the raw public key and a handle to the private key. */
export interface KeyPair {
  readonly publicKey: Uint8Array;
  readonly privateKey: PrivateKeyHandle;
}

/** Result of a KEM encapsulation. */
export interface Encapsulation {
  readonly sharedSecret: Uint8Array;
  readonly ciphertext: Uint8Array;
}

/** Provider names. */
export type ProviderName = 'native' | 'noble';

/** The primitives the protocol is built from. */
export interface CryptoProvider {
  readonly name: ProviderName;
  randomBytes(length: number): Uint8Array;
  sha256(data: Uint8Array): Uint8Array;
  sha512(data: Uint8Array): Uint8Array;
  sha3_256(data: Uint8Array): Uint8Array;
  shake256(data: Uint8Array, outputLength: number): Uint8Array;
  /** HKDF-SHA-256 (RFC 5869). */
  hkdfSha256(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Uint8Array;
  /** AES-256-GCM with a 96-bit nonce; returns ciphertext with the 16-byte tag appended. */
  aes256GcmEncrypt(
    key: Uint8Array,
    nonce: Uint8Array,
    plaintext: Uint8Array,
    aad: Uint8Array,
  ): Uint8Array;
  /** Inverse of aes256GcmEncrypt; throws DecryptionError when authentication fails. */
  aes256GcmDecrypt(
    key: Uint8Array,
    nonce: Uint8Array,
    sealed: Uint8Array,
    aad: Uint8Array,
  ): Uint8Array;
  /** Ed25519 (RFC 8032) key pair from a 32-byte seed. */
  ed25519FromSeed(seed: Uint8Array): KeyPair;
  ed25519Sign(privateKey: PrivateKeyHandle, message: Uint8Array): Promise<Uint8Array>;
  ed25519Verify(
    publicKey: Uint8Array,
    message: Uint8Array,
    signature: Uint8Array,
  ): Promise<boolean>;
  /** ML-DSA-65 (FIPS 204) key pair from the 32-byte seed ξ. */
  mlDsa65FromSeed(seed: Uint8Array): KeyPair;
  /** Hedged (randomized) ML-DSA-65 signature with a context string of at most 255 bytes. */
  mlDsa65Sign(
    privateKey: PrivateKeyHandle,
    message: Uint8Array,
    context: Uint8Array,
  ): Promise<Uint8Array>;
  mlDsa65Verify(
    publicKey: Uint8Array,
    message: Uint8Array,
    signature: Uint8Array,
    context: Uint8Array,
  ): Promise<boolean>;
  /** ML-KEM-768 (FIPS 203) key pair from the 64-byte seed d || z. */
  mlKem768FromSeed(seed: Uint8Array): KeyPair;
  /** Encapsulates to a public key; throws InvalidArgumentError when the key fails the FIPS 203 checks. */
  mlKem768Encapsulate(publicKey: Uint8Array): Promise<Encapsulation>;
  /** Decapsulates (implicit rejection: a wrong ciphertext yields an unrelated secret). */
  mlKem768Decapsulate(privateKey: PrivateKeyHandle, ciphertext: Uint8Array): Promise<Uint8Array>;
  /** X25519 (RFC 7748) key pair from a 32-byte private scalar. */
  x25519FromSeed(seed: Uint8Array): KeyPair;
  /** X25519 shared secret; throws InvalidArgumentError for an all-zero result (low-order point). */
  x25519(privateKey: PrivateKeyHandle, publicKey: Uint8Array): Uint8Array;
}
