/**
 * Key ids (fingerprints): short, stable names for public keys, so envelopes and records can say
 * which key they mean without carrying kilobytes of ML-DSA or ML-KEM key. A key id is the first
 * 16 bytes of SHA-256 over PAE("proof-messenger/key-id/v1", algorithm, public key), written as
 * unpadded base64url (22 characters). The algorithm name is hashed in, so the same bytes under
 * two algorithms never share an id.
 */
import type { CryptoProvider } from './crypto-provider.ts';
import { utf8 } from './internal/bytes.ts';
import { pae } from './pae.ts';

/** Algorithm names used in key ids. */
export type KeyIdAlgorithm = 'mldsa65-ed25519' | 'ml-kem-768' | 'x-wing';

/** The key id of a public key (for a composite key, of mlDsa65 || ed25519). */
export function keyIdOf(
  provider: CryptoProvider,
  algorithm: KeyIdAlgorithm,
  publicKey: Uint8Array,
): string {
  const digest = provider.sha256(pae('proof-messenger/key-id/v1', utf8(algorithm), publicKey));
  return base64url(digest.subarray(0, 16));
}

/** Unpadded base64url of bytes. */
export function base64url(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
}
