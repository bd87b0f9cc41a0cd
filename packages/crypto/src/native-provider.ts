/**
 * Crypto provider on node:crypto (Node 24 with OpenSSL 3.5): native ML-DSA-65 (FIPS 204),
 * ML-KEM-768 (FIPS 203), Ed25519, X25519, AES-256-GCM, SHA-2/SHA-3 and HKDF. Signing,
 * verification and KEM calls use the callback forms, which run on the libuv thread pool.
 *
 * Keys are imported from raw seeds and raw public keys (`raw-seed`, `raw-private`, `raw-public`),
 * so they are byte-identical to the noble provider's. Parsed public keys are cached by their exact
 * bytes (bounded, oldest dropped first): a server verifies many envelopes from the same senders,
 * and parsing an ML-DSA-65 key costs about a fifth of verifying with it.
 */
import * as nodeCrypto from 'node:crypto';
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  hkdfSync,
  type KeyObject,
  type KeyType,
  randomBytes,
  sign,
  verify,
} from 'node:crypto';
import { DecryptionError, InvalidArgumentError } from '@proof-messenger/errors';
import type {
  CryptoProvider,
  Encapsulation,
  KeyAlgorithm,
  KeyPair,
  PrivateKeyHandle,
} from './crypto-provider.ts';

interface NativeHandle extends PrivateKeyHandle {
  readonly key: KeyObject;
}

const TAG_BYTES = 16;

function handle(algorithm: KeyAlgorithm, key: KeyObject): NativeHandle {
  return { algorithm, provider: 'native', key };
}

function unwrap(privateKey: PrivateKeyHandle, algorithm: KeyAlgorithm): KeyObject {
  if (privateKey.provider !== 'native' || privateKey.algorithm !== algorithm) {
    throw new InvalidArgumentError(
      `expected a native ${algorithm} private key, got a ${privateKey.provider} ${privateKey.algorithm} key`,
    );
  }
  return (privateKey as NativeHandle).key;
}

function rawPublic(key: KeyObject): Uint8Array {
  return new Uint8Array(key.export({ format: 'raw-public' } as never) as unknown as Buffer);
}

/** Most parsed public keys kept. */
const PUBLIC_KEY_CACHE_LIMIT = 4096;
const publicKeys = new Map<string, KeyObject>();

/** Parses a raw public key (cached by type and exact bytes); throws when it is malformed. */
function importPublic(type: KeyType, raw: Uint8Array): KeyObject {
  const bytes = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
  // The bytes themselves are the cache key, never the array's identity: a reused or mutated array
  // can never find another key's KeyObject.
  const cacheKey = `${type}:${bytes.toString('latin1')}`;
  let key = publicKeys.get(cacheKey);
  if (key === undefined) {
    key = createPublicKey({ key: bytes, format: 'raw-public', asymmetricKeyType: type });
    if (publicKeys.size >= PUBLIC_KEY_CACHE_LIMIT) {
      publicKeys.delete(publicKeys.keys().next().value ?? '');
    }
    publicKeys.set(cacheKey, key);
  }
  return key;
}

function fromSeed(type: KeyType, format: 'raw-seed' | 'raw-private', seed: Uint8Array): KeyPair {
  const key = createPrivateKey({ key: Buffer.from(seed), format, asymmetricKeyType: type });
  return {
    publicKey: rawPublic(createPublicKey(key)),
    privateKey: handle(type as KeyAlgorithm, key),
  };
}

function signAsync(key: KeyObject, message: Uint8Array, context?: Uint8Array): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const input = context === undefined ? key : { key, context };
    sign(null, message, input, (error, signature) =>
      error ? reject(error) : resolve(new Uint8Array(signature)),
    );
  });
}

async function verifyAsync(
  type: KeyType,
  publicKey: Uint8Array,
  message: Uint8Array,
  signature: Uint8Array,
  context?: Uint8Array,
): Promise<boolean> {
  let key: KeyObject;
  try {
    key = importPublic(type, publicKey);
  } catch {
    return false; // not a valid encoding of a public key: nothing can verify under it
  }
  return new Promise((resolve) => {
    const input = context === undefined ? key : { key, context };
    // OpenSSL reports some malformed signatures (wrong length, too-long context) as errors:
    // for a verifier they are simply invalid.
    try {
      verify(null, message, input, signature, (error, ok) => resolve(!error && ok));
    } catch {
      resolve(false);
    }
  });
}

function digest(algorithm: string, data: Uint8Array, outputLength?: number): Uint8Array {
  const options = outputLength === undefined ? undefined : { outputLength };
  return new Uint8Array(createHash(algorithm, options).update(data).digest());
}

/** The node:crypto provider. Use `isNativeCryptoAvailable()` before relying on it. */
export const nativeProvider: CryptoProvider = {
  name: 'native',
  randomBytes: (length) => new Uint8Array(randomBytes(length)),
  sha256: (data) => digest('sha256', data),
  sha512: (data) => digest('sha512', data),
  sha3_256: (data) => digest('sha3-256', data),
  shake256: (data, outputLength) => digest('shake256', data, outputLength),
  hkdfSha256: (ikm, salt, info, length) =>
    new Uint8Array(hkdfSync('sha256', ikm, salt, info, length)),

  aes256GcmEncrypt(key, nonce, plaintext, aad) {
    const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES });
    cipher.setAAD(aad);
    const head = cipher.update(plaintext);
    const tail = cipher.final();
    const out = new Uint8Array(head.length + tail.length + TAG_BYTES);
    out.set(head, 0);
    out.set(tail, head.length);
    out.set(cipher.getAuthTag(), head.length + tail.length);
    return out;
  },

  aes256GcmDecrypt(key, nonce, sealed, aad) {
    if (sealed.length < TAG_BYTES) {
      throw new DecryptionError(`ciphertext must be at least ${TAG_BYTES} bytes (the tag)`);
    }
    const body = sealed.subarray(0, sealed.length - TAG_BYTES);
    const decipher = createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES });
    decipher.setAAD(aad);
    decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
    try {
      const head = decipher.update(body);
      const tail = decipher.final();
      return new Uint8Array(Buffer.concat([head, tail]));
    } catch (cause) {
      throw new DecryptionError('AES-256-GCM authentication failed', { cause });
    }
  },

  ed25519FromSeed: (seed) => fromSeed('ed25519', 'raw-private', seed),
  ed25519Sign: (privateKey, message) => signAsync(unwrap(privateKey, 'ed25519'), message),
  ed25519Verify: (publicKey, message, signature) =>
    verifyAsync('ed25519', publicKey, message, signature),

  mlDsa65FromSeed: (seed) => fromSeed('ml-dsa-65', 'raw-seed', seed),
  mlDsa65Sign: (privateKey, message, context) =>
    signAsync(unwrap(privateKey, 'ml-dsa-65'), message, context),
  mlDsa65Verify: (publicKey, message, signature, context) =>
    verifyAsync('ml-dsa-65', publicKey, message, signature, context),

  mlKem768FromSeed: (seed) => fromSeed('ml-kem-768', 'raw-seed', seed),
  mlKem768Encapsulate(publicKey) {
    let key: KeyObject;
    try {
      key = importPublic('ml-kem-768', publicKey);
    } catch (cause) {
      // OpenSSL runs the FIPS 203 encapsulation key checks (length, modulus) on import.
      return Promise.reject(
        new InvalidArgumentError('ML-KEM-768 public key is malformed (FIPS 203 key check failed)', {
          cause,
        }),
      );
    }
    return new Promise<Encapsulation>((resolve, reject) =>
      nodeCrypto.encapsulate(key, (error, result) =>
        error
          ? reject(error)
          : resolve({
              sharedSecret: new Uint8Array(result.sharedKey),
              ciphertext: new Uint8Array(result.ciphertext),
            }),
      ),
    );
  },
  mlKem768Decapsulate(privateKey, ciphertext) {
    const key = unwrap(privateKey, 'ml-kem-768');
    return new Promise((resolve, reject) => {
      try {
        nodeCrypto.decapsulate(key, ciphertext, (error, sharedKey) =>
          error
            ? reject(new DecryptionError('ML-KEM-768 ciphertext is malformed', { cause: error }))
            : resolve(new Uint8Array(sharedKey)),
        );
      } catch (cause) {
        reject(new DecryptionError('ML-KEM-768 ciphertext is malformed', { cause }));
      }
    });
  },

  x25519FromSeed: (seed) => fromSeed('x25519', 'raw-private', seed),
  x25519(privateKey, publicKey) {
    try {
      const shared = diffieHellman({
        privateKey: unwrap(privateKey, 'x25519'),
        publicKey: importPublic('x25519', publicKey),
      });
      return new Uint8Array(shared);
    } catch (cause) {
      // OpenSSL refuses an all-zero shared secret (a low-order peer point).
      throw new InvalidArgumentError('X25519 public key is invalid (low-order point)', { cause });
    }
  },
};

let nativeAvailable: boolean | undefined;

/** True when this runtime's node:crypto has everything the native provider needs. */
export function isNativeCryptoAvailable(): boolean {
  if (nativeAvailable === undefined) {
    try {
      nativeProvider.mlDsa65FromSeed(new Uint8Array(32));
      nativeProvider.mlKem768FromSeed(new Uint8Array(64));
      nativeProvider.ed25519FromSeed(new Uint8Array(32));
      nativeProvider.x25519FromSeed(new Uint8Array(32));
      // Read through the namespace: on runtimes without ML-KEM a named import would fail to link.
      nativeAvailable = typeof nodeCrypto.encapsulate === 'function';
    } catch {
      nativeAvailable = false;
    }
  }
  return nativeAvailable;
}
