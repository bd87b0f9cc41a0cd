/**
 * Crypto provider on the audited pure-JavaScript @noble libraries: @noble/post-quantum
 * (ML-DSA-65, ML-KEM-768), @noble/curves (Ed25519, X25519), @noble/ciphers (AES-256-GCM) and
 * @noble/hashes (SHA-2, SHA-3, HKDF). It runs anywhere (browsers, older Node) with no `node:`
 * imports, at roughly a tenth of the native provider's speed for the post-quantum algorithms.
 *
 * Ed25519 verification uses strict RFC 8032 / FIPS 186-5 rules (`zip215: false`), matching
 * OpenSSL, so both providers accept and reject exactly the same signatures.
 */
import { gcm } from '@noble/ciphers/aes.js';
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import { sha3_256, shake256 } from '@noble/hashes/sha3.js';
import { randomBytes } from '@noble/hashes/utils.js';
import { ml_dsa65 } from '@noble/post-quantum/ml-dsa.js';
import { ml_kem768 } from '@noble/post-quantum/ml-kem.js';
import { DecryptionError, InvalidArgumentError } from '@proof-messenger/errors';
import type { CryptoProvider, KeyAlgorithm, PrivateKeyHandle } from './crypto-provider.ts';

interface NobleHandle extends PrivateKeyHandle {
  readonly secret: Uint8Array;
}

function handle(algorithm: KeyAlgorithm, secret: Uint8Array): NobleHandle {
  return { algorithm, provider: 'noble', secret };
}

function unwrap(privateKey: PrivateKeyHandle, algorithm: KeyAlgorithm): Uint8Array {
  if (privateKey.provider !== 'noble' || privateKey.algorithm !== algorithm) {
    throw new InvalidArgumentError(
      `expected a noble ${algorithm} private key, got a ${privateKey.provider} ${privateKey.algorithm} key`,
    );
  }
  return (privateKey as NobleHandle).secret;
}

/** Runs a check that may throw on malformed input; a throw means "does not verify". */
function safely(check: () => boolean): Promise<boolean> {
  try {
    return Promise.resolve(check());
  } catch {
    return Promise.resolve(false);
  }
}

/** The @noble provider. */
export const nobleProvider: CryptoProvider = {
  name: 'noble',
  randomBytes: (length) => randomBytes(length),
  sha256: (data) => sha256(data),
  sha512: (data) => sha512(data),
  sha3_256: (data) => sha3_256(data),
  shake256: (data, outputLength) => shake256(data, { dkLen: outputLength }),
  hkdfSha256: (ikm, salt, info, length) => hkdf(sha256, ikm, salt, info, length),

  aes256GcmEncrypt: (key, nonce, plaintext, aad) => gcm(key, nonce, aad).encrypt(plaintext),
  aes256GcmDecrypt(key, nonce, sealed, aad) {
    try {
      return gcm(key, nonce, aad).decrypt(sealed);
    } catch (cause) {
      throw new DecryptionError('AES-256-GCM authentication failed', { cause });
    }
  },

  ed25519FromSeed(seed) {
    return { publicKey: ed25519.getPublicKey(seed), privateKey: handle('ed25519', seed.slice()) };
  },
  ed25519Sign: (privateKey, message) =>
    Promise.resolve(ed25519.sign(message, unwrap(privateKey, 'ed25519'))),
  ed25519Verify: (publicKey, message, signature) =>
    safely(() => ed25519.verify(signature, message, publicKey, { zip215: false })),

  mlDsa65FromSeed(seed) {
    const { publicKey, secretKey } = ml_dsa65.keygen(seed);
    return { publicKey, privateKey: handle('ml-dsa-65', secretKey) };
  },
  mlDsa65Sign: (privateKey, message, context) =>
    Promise.resolve(ml_dsa65.sign(message, unwrap(privateKey, 'ml-dsa-65'), { context })),
  mlDsa65Verify: (publicKey, message, signature, context) =>
    safely(() => ml_dsa65.verify(signature, message, publicKey, { context })),

  mlKem768FromSeed(seed) {
    const { publicKey, secretKey } = ml_kem768.keygen(seed);
    return { publicKey, privateKey: handle('ml-kem-768', secretKey) };
  },
  mlKem768Encapsulate(publicKey) {
    try {
      const { cipherText, sharedSecret } = ml_kem768.encapsulate(publicKey);
      return Promise.resolve({ ciphertext: cipherText, sharedSecret });
    } catch (cause) {
      return Promise.reject(
        new InvalidArgumentError('ML-KEM-768 public key is malformed (FIPS 203 key check failed)', {
          cause,
        }),
      );
    }
  },
  mlKem768Decapsulate(privateKey, ciphertext) {
    try {
      return Promise.resolve(ml_kem768.decapsulate(ciphertext, unwrap(privateKey, 'ml-kem-768')));
    } catch (cause) {
      return Promise.reject(new DecryptionError('ML-KEM-768 ciphertext is malformed', { cause }));
    }
  },

  x25519FromSeed(seed) {
    return { publicKey: x25519.getPublicKey(seed), privateKey: handle('x25519', seed.slice()) };
  },
  x25519(privateKey, publicKey) {
    try {
      return x25519.getSharedSecret(unwrap(privateKey, 'x25519'), publicKey);
    } catch (cause) {
      throw new InvalidArgumentError('X25519 public key is invalid (low-order point)', { cause });
    }
  },
};
