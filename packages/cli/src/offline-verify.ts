/**
 * Verifying a proof with no server: the envelope's composite ML-DSA-65 + Ed25519 signature over
 * its exact bytes, against the sender's identity key valid at the envelope's created-at, taken
 * from exported key histories. The same checks, in the same order and with the same reasons, as
 * the envelope processor's VerifyEnvelope: shape, known key, not revoked, inside its validity
 * window, both signatures.
 *
 * An invalid proof is an answer (`valid: false` with a reason), not an exception.
 */
import { defaultProvider } from '@proof-messenger/crypto';
import {
  KeyExpiredError,
  KeyRevokedError,
  KeyUnknownError,
  ProofMessengerError,
  Reason,
} from '@proof-messenger/errors';
import { ContentMode, type Envelope, type EnvelopeHeader } from '@proof-messenger/proto';
import { parseEnvelope, verifyEnvelope } from '@proof-messenger/protocol';
import { isoTime } from './format.ts';
import type { PublicKeyEntry, PublicKeyHistory } from './public-key-history.ts';

/** The answer of `verifyOffline`. */
export interface OfflineVerification {
  readonly valid: boolean;
  /** Why not, as a `proofmessenger.v1.ErrorReason` name; empty when valid. */
  readonly failureReason: string;
  readonly failureMessage: string;
  /** The decoded header when the envelope could be parsed. */
  readonly header?: EnvelopeHeader;
  /** The key the signature was checked against. */
  readonly key?: PublicKeyEntry;
  /** SHA-256 of the signed bytes, when valid. */
  readonly digest?: Uint8Array;
  /** For signed cleartext, when valid: exactly the content that was signed. */
  readonly signedContent?: Uint8Array;
}

function reasonName(reason: number): string {
  return Object.entries(Reason).find(([, value]) => value === reason)?.[0] ?? 'UNSPECIFIED';
}

function keyAt(histories: readonly PublicKeyHistory[], header: EnvelopeHeader): PublicKeyEntry {
  const { senderId, senderKeyId } = header;
  const history = histories.find((candidate) => candidate.agentId === senderId);
  if (history === undefined) {
    const given = histories.map((h) => h.agentId).join(', ');
    throw new KeyUnknownError(
      `signed by ${senderId}, but no key file given is for ${senderId} (given: ${given}); export it with \`proof-messenger agent export-public --agent ${senderId}\``,
    );
  }
  const key = history.keys.find((entry) => entry.publicKey.keyId === senderKeyId);
  if (key === undefined)
    throw new KeyUnknownError(`key ${senderKeyId} is not in the key history of ${senderId}`);
  if (key.status === 'revoked') {
    throw new KeyRevokedError(
      `key ${senderKeyId} of ${senderId} is revoked: ${key.revocationReason || 'no reason given'}`,
    );
  }
  const at = Number(header.createdAtMs);
  if (at < key.notBeforeMs || (key.notAfterMs !== null && at >= key.notAfterMs)) {
    throw new KeyExpiredError(
      `key ${senderKeyId} of ${senderId} was not valid at ${isoTime(at)} (valid ${isoTime(key.notBeforeMs)} to ${key.notAfterMs === null ? 'now' : isoTime(key.notAfterMs)})`,
    );
  }
  return key;
}

/** Checks `envelope` against the key histories; never throws for an invalid proof. */
export async function verifyOffline(
  envelope: Envelope,
  histories: readonly PublicKeyHistory[],
): Promise<OfflineVerification> {
  let header: EnvelopeHeader | undefined;
  let key: PublicKeyEntry | undefined;
  try {
    const parsed = parseEnvelope(envelope);
    header = parsed.header;
    key = keyAt(histories, header);
    const verified = await verifyEnvelope(defaultProvider(), parsed, key.publicKey);
    return {
      valid: true,
      failureReason: '',
      failureMessage: '',
      header,
      key,
      digest: verified.digest,
      ...(header.contentMode === ContentMode.SIGNED_CLEARTEXT
        ? { signedContent: envelope.payload }
        : {}),
    };
  } catch (error) {
    if (!(error instanceof ProofMessengerError)) throw error;
    return {
      valid: false,
      failureReason: reasonName(error.reason),
      failureMessage: error.message,
      ...(header === undefined ? {} : { header }),
      ...(key === undefined ? {} : { key }),
    };
  }
}
