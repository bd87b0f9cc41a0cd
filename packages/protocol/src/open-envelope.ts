/**
 * Checking and opening envelopes, in the order that keeps expensive work last: shape checks, then
 * both signatures over the exact carried bytes, then (for the recipient) key unwrapping and
 * decryption with the header bound as associated data. Nothing is decrypted before the signature
 * has verified.
 */
import {
  type CompositePublicKey,
  type CryptoProvider,
  decryptContent,
  type KemKeyPair,
  unwrapContentKey,
  verifyComposite,
  zeroize,
} from '@proof-messenger/crypto';
import {
  DecryptionError,
  InvalidArgumentError,
  KeyUnknownError,
  SignatureInvalidError,
} from '@proof-messenger/errors';
import { ContentMode, type Envelope, type EnvelopeHeader } from '@proof-messenger/proto';
import { parseEnvelopeHeader } from './envelope-header.ts';
import {
  envelopeSignedBytes,
  payloadAssociatedData,
  SIGNATURE_CONTEXT,
} from './envelope-signature.ts';

/** An envelope whose shape has been checked (signatures not yet). */
export interface ParsedEnvelope {
  readonly header: EnvelopeHeader;
  readonly envelope: Envelope;
}

/** An envelope whose signatures verified. */
export interface VerifiedEnvelope extends ParsedEnvelope {
  /** SHA-256 of the signed bytes. */
  readonly digest: Uint8Array;
}

/** An envelope verified and, when encrypted, decrypted. */
export interface OpenedEnvelope extends VerifiedEnvelope {
  /** The content: decrypted, or as signed for signed cleartext. */
  readonly content: Uint8Array;
}

const SIGNATURE_FIELD = 'envelope.signature';

/**
 * Cheap structural checks of an envelope: header shape and signature presence and sizes.
 * @throws InvalidArgumentError naming the offending field
 */
export function parseEnvelope(envelope: Envelope | undefined): ParsedEnvelope {
  if (envelope === undefined)
    throw new InvalidArgumentError('envelope is required', { field: 'envelope' });
  const header = parseEnvelopeHeader(envelope.header);
  const signature = envelope.signature;
  if (signature === undefined) {
    throw new InvalidArgumentError(`${SIGNATURE_FIELD} is required`, { field: SIGNATURE_FIELD });
  }
  if (signature.keyId !== header.senderKeyId) {
    throw new InvalidArgumentError(
      `${SIGNATURE_FIELD}.key_id (${signature.keyId}) must equal envelope.header.sender_key_id (${header.senderKeyId})`,
      { field: `${SIGNATURE_FIELD}.key_id` },
    );
  }
  if (signature.mlDsa65.length !== 3309 || signature.ed25519.length !== 64) {
    throw new InvalidArgumentError(
      `${SIGNATURE_FIELD} must carry both components: ml_dsa_65 of 3309 bytes and ed25519 of 64 bytes, got ${signature.mlDsa65.length} and ${signature.ed25519.length}`,
      { field: SIGNATURE_FIELD },
    );
  }
  if (header.contentMode === ContentMode.ENCRYPTED && envelope.payload.length < 16) {
    throw new InvalidArgumentError('envelope.payload must hold at least the 16-byte AES-GCM tag', {
      field: 'envelope.payload',
    });
  }
  return { header, envelope };
}

/**
 * Verifies both signatures against the sender's key (whose validity the caller has checked).
 * @throws InvalidArgumentError on a malformed envelope, KeyUnknownError when the key is not the one
 *   the header names, SignatureInvalidError when either signature fails
 */
export async function verifyEnvelope(
  provider: CryptoProvider,
  envelope: Envelope | ParsedEnvelope | undefined,
  senderKey: CompositePublicKey,
): Promise<VerifiedEnvelope> {
  const parsed =
    envelope !== undefined && 'header' in envelope && 'envelope' in envelope
      ? envelope
      : parseEnvelope(envelope);
  const { header, envelope: raw } = parsed;
  if (senderKey.keyId !== header.senderKeyId) {
    throw new KeyUnknownError(
      `envelope was signed with key ${header.senderKeyId}, not with the given key ${senderKey.keyId}`,
      { field: 'envelope.header.sender_key_id' },
    );
  }
  const signature = raw.signature;
  // Built once: the signature covers these bytes and the digest names them.
  const signed = envelopeSignedBytes(raw.header, raw.payload);
  const ok =
    signature !== undefined &&
    (await verifyComposite(provider, senderKey, signed, signature, SIGNATURE_CONTEXT));
  if (!ok) {
    throw new SignatureInvalidError(
      `envelope signature does not verify for sender ${header.senderId} with key ${header.senderKeyId}`,
      { field: SIGNATURE_FIELD },
    );
  }
  return { ...parsed, digest: provider.sha256(signed) };
}

/**
 * Verifies, then decrypts with whichever of `recipientKeys` the envelope was encrypted to.
 * Signed cleartext is returned as signed.
 * @throws as verifyEnvelope; DecryptionError when no key matches or decryption fails
 */
export async function openEnvelope(
  provider: CryptoProvider,
  envelope: Envelope | undefined,
  senderKey: CompositePublicKey,
  recipientKeys: readonly KemKeyPair[],
): Promise<OpenedEnvelope> {
  const verified = await verifyEnvelope(provider, envelope, senderKey);
  const { header, envelope: raw } = verified;
  if (header.contentMode === ContentMode.SIGNED_CLEARTEXT)
    return { ...verified, content: raw.payload };
  for (const keyPair of recipientKeys) {
    const entry = header.recipients.find((candidate) => candidate.keyId === keyPair.keyId);
    if (entry === undefined || keyPair.suite !== header.suite) continue;
    return openWithContentKey(provider, verified, await unwrapContentKey(provider, keyPair, entry));
  }
  throw new DecryptionError(
    `envelope ${header.messageId} is not encrypted to any of the given keys (it names ${header.recipients.map((r) => r.keyId).join(', ')})`,
  );
}

/**
 * Decrypts a verified envelope's payload with its unwrapped content key (the header is the
 * associated data), then wipes the key. Shared by direct and channel envelopes.
 * @throws DecryptionError when the key, nonce, ciphertext or header do not match
 */
export function openWithContentKey(
  provider: CryptoProvider,
  verified: VerifiedEnvelope,
  contentKey: Uint8Array,
): OpenedEnvelope {
  try {
    const { header, envelope: raw } = verified;
    const content = decryptContent(
      provider,
      contentKey,
      header.nonce,
      raw.payload,
      payloadAssociatedData(raw.header),
    );
    return { ...verified, content };
  } finally {
    zeroize(contentKey);
  }
}
