/**
 * Making envelopes: encrypted (content encrypted once, key wrapped per recipient key, header bound
 * as associated data, everything signed) or signed cleartext (readable by anyone, changeable by
 * nobody). The header is serialized once and those bytes are what is signed and sent.
 */
import { create, toBinary } from '@bufbuild/protobuf';
import {
  type CompositeSigner,
  type CryptoProvider,
  encryptContent,
  type KemRecipient,
  Suite,
  wrapContentKey,
  zeroize,
} from '@proof-messenger/crypto';
import {
  ContentMode,
  type Envelope,
  type EnvelopeHeader,
  EnvelopeHeaderSchema,
  EnvelopeSchema,
  HybridSignatureSchema,
  Priority,
} from '@proof-messenger/proto';
import { checkEnvelopeHeader, HEADER_VERSION } from './envelope-header.ts';
import {
  envelopeSignedBytes,
  payloadAssociatedData,
  SIGNATURE_CONTEXT,
} from './envelope-signature.ts';
import { newMessageId } from './identifiers.ts';

/** The suite new envelopes use unless told otherwise: X-Wing, secure if either X25519 or ML-KEM is. */
export const DEFAULT_SUITE = Suite.XWING_HKDFSHA256_AES256GCM_MLDSA65ED25519;

/** Metadata of a new envelope. Unset fields get defaults (fresh UUIDv7 id, now, NORMAL, server TTL). */
export interface EnvelopeFields {
  readonly senderId: string;
  readonly recipientId?: string;
  readonly channelId?: string;
  readonly messageId?: string;
  readonly priority?: Priority;
  readonly ttlSeconds?: number;
  readonly createdAtMs?: number;
  readonly correlationId?: string;
  readonly contentType?: string;
  readonly channelEpoch?: bigint;
  readonly suite?: Suite;
}

/** The header every new envelope starts from (also for channel envelopes). */
export function baseHeader(
  fields: EnvelopeFields,
  signer: CompositeSigner,
  mode: ContentMode,
): EnvelopeHeader {
  return create(EnvelopeHeaderSchema, {
    version: HEADER_VERSION,
    messageId: fields.messageId ?? newMessageId(),
    senderId: fields.senderId,
    destination:
      fields.channelId === undefined
        ? { case: 'recipientId', value: fields.recipientId ?? '' }
        : { case: 'channelId', value: fields.channelId },
    priority: fields.priority ?? Priority.NORMAL,
    ttlSeconds: fields.ttlSeconds ?? 0,
    createdAtMs: BigInt(fields.createdAtMs ?? Date.now()),
    correlationId: fields.correlationId ?? '',
    senderKeyId: signer.keyId,
    suite: fields.suite ?? DEFAULT_SUITE,
    contentMode: mode,
    contentType: fields.contentType ?? '',
    channelEpoch: fields.channelEpoch ?? 0n,
  });
}

/** Signs the exact header bytes and payload into an envelope. */
export async function sign(
  signer: CompositeSigner,
  headerBytes: Uint8Array,
  payload: Uint8Array,
): Promise<Envelope> {
  const signature = await signer.sign(envelopeSignedBytes(headerBytes, payload), SIGNATURE_CONTEXT);
  return create(EnvelopeSchema, {
    header: headerBytes,
    payload,
    signature: create(HybridSignatureSchema, { keyId: signer.keyId, ...signature }),
  });
}

/**
 * Encrypts `plaintext` to every recipient key and signs the result.
 * @throws InvalidArgumentError when a field is malformed (named in the message)
 */
export async function sealEnvelope(
  provider: CryptoProvider,
  signer: CompositeSigner,
  fields: EnvelopeFields,
  recipients: readonly KemRecipient[],
  plaintext: Uint8Array,
): Promise<Envelope> {
  const header = baseHeader(fields, signer, ContentMode.ENCRYPTED);
  const bundle = await wrapContentKey(provider, header.suite, recipients);
  header.recipients = bundle.recipients.map((entry) => ({
    $typeName: 'proofmessenger.v1.RecipientKey' as const,
    ...entry,
  }));
  header.nonce = bundle.nonce;
  checkEnvelopeHeader(header);
  const headerBytes = toBinary(EnvelopeHeaderSchema, header);
  const payload = encryptContent(
    provider,
    bundle.contentKey,
    bundle.nonce,
    plaintext,
    payloadAssociatedData(headerBytes),
  );
  zeroize(bundle.contentKey);
  return sign(signer, headerBytes, payload);
}

/**
 * Signs `content` without encrypting it: anyone can read it, nobody can change it unnoticed.
 * @throws InvalidArgumentError when a field is malformed (named in the message)
 */
export async function signCleartextEnvelope(
  signer: CompositeSigner,
  fields: EnvelopeFields,
  content: Uint8Array,
): Promise<Envelope> {
  const header = baseHeader(fields, signer, ContentMode.SIGNED_CLEARTEXT);
  checkEnvelopeHeader(header);
  return sign(signer, toBinary(EnvelopeHeaderSchema, header), content);
}
