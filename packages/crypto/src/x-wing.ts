/**
 * X-Wing: the X25519 + ML-KEM-768 hybrid KEM of draft-connolly-cfrg-xwing-kem, composed from the
 * provider's standard primitives. Secure if either ML-KEM-768 or X25519 is.
 *
 *   keygen(seed32):   expanded = SHAKE256(seed, 96); (pkM, skM) = ML-KEM-768.KeyGen(expanded[0:64]);
 *                     skX = expanded[64:96]; pk = pkM || X25519(skX, 9)
 *   encaps(pk):       ekX random; ctX = X25519(ekX, 9); ssX = X25519(ekX, pkX);
 *                     (ssM, ctM) = ML-KEM-768.Encaps(pkM); ct = ctM || ctX
 *   combiner:         ss = SHA3-256(ssM || ssX || ctX || pkX || XWingLabel), XWingLabel = "\.//^\"
 *                    (the label comes last since draft -02, so the 134-byte input fits one SHA3 block)
 *
 * The noble provider's own X-Wing implementation is the reference this module is tested against
 * (same public keys from the same seed, and each decapsulates the other's ciphertexts).
 */
import { InvalidArgumentError } from '@proof-messenger/errors';
import type { CryptoProvider, Encapsulation, PrivateKeyHandle } from './crypto-provider.ts';
import { checkBytes, concatBytes } from './internal/bytes.ts';
import { zeroize } from './zeroize.ts';

/** X-Wing sizes in bytes. */
export const XWING_SIZES = {
  seed: 32,
  publicKey: 1216,
  ciphertext: 1120,
  sharedSecret: 32,
} as const;

const LABEL = Uint8Array.of(0x5c, 0x2e, 0x2f, 0x2f, 0x5e, 0x5c);
const ML_KEM_PUBLIC = 1184;
const ML_KEM_CIPHERTEXT = 1088;

/** An X-Wing decapsulation key in memory. */
export interface XWingPrivateKey {
  readonly mlKem: PrivateKeyHandle;
  readonly x25519: PrivateKeyHandle;
  readonly x25519PublicKey: Uint8Array;
}

/** Derives an X-Wing key pair from a 32-byte seed. */
export function xWingFromSeed(
  provider: CryptoProvider,
  seed: Uint8Array,
): { publicKey: Uint8Array; privateKey: XWingPrivateKey } {
  checkBytes('X-Wing seed', seed, XWING_SIZES.seed);
  const expanded = provider.shake256(seed, 96);
  const mlKem = provider.mlKem768FromSeed(expanded.subarray(0, 64));
  const x = provider.x25519FromSeed(expanded.subarray(64, 96));
  zeroize(expanded);
  return {
    publicKey: concatBytes(mlKem.publicKey, x.publicKey),
    privateKey: { mlKem: mlKem.privateKey, x25519: x.privateKey, x25519PublicKey: x.publicKey },
  };
}

function combine(
  provider: CryptoProvider,
  ssM: Uint8Array,
  ssX: Uint8Array,
  ctX: Uint8Array,
  pkX: Uint8Array,
): Uint8Array {
  const input = concatBytes(ssM, ssX, ctX, pkX, LABEL);
  const shared = provider.sha3_256(input);
  zeroize(input, ssM, ssX);
  return shared;
}

/**
 * Encapsulates a fresh shared secret to an X-Wing public key.
 * @throws InvalidArgumentError when the key is not 1216 bytes or its ML-KEM part fails FIPS 203 checks
 */
export async function xWingEncapsulate(
  provider: CryptoProvider,
  publicKey: Uint8Array,
): Promise<Encapsulation> {
  checkBytes('X-Wing public key', publicKey, XWING_SIZES.publicKey);
  const pkM = publicKey.subarray(0, ML_KEM_PUBLIC);
  const pkX = publicKey.subarray(ML_KEM_PUBLIC);
  const ephemeralSeed = provider.randomBytes(32);
  const ephemeral = provider.x25519FromSeed(ephemeralSeed);
  zeroize(ephemeralSeed);
  const ssX = provider.x25519(ephemeral.privateKey, pkX);
  const { sharedSecret: ssM, ciphertext: ctM } = await provider.mlKem768Encapsulate(pkM);
  return {
    sharedSecret: combine(provider, ssM, ssX, ephemeral.publicKey, pkX),
    ciphertext: concatBytes(ctM, ephemeral.publicKey),
  };
}

/**
 * Decapsulates an X-Wing ciphertext.
 * @throws InvalidArgumentError when the ciphertext is not 1120 bytes or carries a low-order point
 */
export async function xWingDecapsulate(
  provider: CryptoProvider,
  privateKey: XWingPrivateKey,
  ciphertext: Uint8Array,
): Promise<Uint8Array> {
  checkBytes('X-Wing ciphertext', ciphertext, XWING_SIZES.ciphertext);
  const ctM = ciphertext.subarray(0, ML_KEM_CIPHERTEXT);
  const ctX = ciphertext.subarray(ML_KEM_CIPHERTEXT);
  let ssX: Uint8Array;
  try {
    ssX = provider.x25519(privateKey.x25519, ctX);
  } catch (cause) {
    throw new InvalidArgumentError('X-Wing ciphertext carries an invalid X25519 share', { cause });
  }
  const ssM = await provider.mlKem768Decapsulate(privateKey.mlKem, ctM);
  return combine(provider, ssM, ssX, ctX, privateKey.x25519PublicKey);
}
