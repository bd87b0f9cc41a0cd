/**
 * What exactly an envelope signature covers, and the associated data of its payload.
 *
 *   signed bytes = PAE("proof-messenger/envelope/v1", header bytes, payload bytes)
 *   signature    = composite ML-DSA-65 + Ed25519 over the signed bytes, context "proof-messenger/v1"
 *   payload AAD  = PAE("proof-messenger/payload/v1", header bytes)
 *   digest       = SHA-256(signed bytes)   (what receipts and audit entries name)
 *
 * The header and payload are the exact bytes carried in the Envelope message; nothing is ever
 * re-encoded before signing or verifying (see docs/protocol.md).
 */
import { type CryptoProvider, pae, utf8 } from '@proof-messenger/crypto';

/** Domain tag of envelope signatures. */
export const ENVELOPE_DOMAIN = 'proof-messenger/envelope/v1';

/** Application context passed to the composite signature for everything Proof-Messenger signs. */
export const SIGNATURE_CONTEXT = utf8('proof-messenger/v1');

/** The bytes an envelope signature covers. */
export function envelopeSignedBytes(header: Uint8Array, payload: Uint8Array): Uint8Array {
  return pae(ENVELOPE_DOMAIN, header, payload);
}

/** The associated data of an encrypted payload: the whole header, as carried. */
export function payloadAssociatedData(header: Uint8Array): Uint8Array {
  return pae('proof-messenger/payload/v1', header);
}

/** SHA-256 of the signed bytes: the name of an envelope in receipts and audit entries. */
export function envelopeDigest(
  provider: CryptoProvider,
  header: Uint8Array,
  payload: Uint8Array,
): Uint8Array {
  return provider.sha256(envelopeSignedBytes(header, payload));
}
