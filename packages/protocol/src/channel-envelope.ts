/**
 * Channel messages under a publisher's sender key (docs/channels.md): the content is encrypted
 * once, its key wrapped under the sender key of the channel's current epoch (crypto's
 * sender-key-wrap), and the envelope signed like any other — so the channel service verifies who
 * published it without being able to read it, and every member holding the epoch's sender key
 * can. The header carries the channel id, the epoch and one recipient entry naming the sender key
 * (no KEM ciphertext); the whole header is the payload's associated data.
 */
import { create, toBinary } from '@bufbuild/protobuf';
import {
  type CompositePublicKey,
  type CompositeSigner,
  type CryptoProvider,
  encryptContent,
  type SenderKey,
  unwrapWithSenderKey,
  wrapForSenderKey,
  zeroize,
} from '@proof-messenger/crypto';
import { DecryptionError, InvalidArgumentError } from '@proof-messenger/errors';
import {
  ContentMode,
  type Envelope,
  type EnvelopeHeader,
  EnvelopeHeaderSchema,
  RecipientKeySchema,
} from '@proof-messenger/proto';
import { checkEnvelopeHeader } from './envelope-header.ts';
import { payloadAssociatedData } from './envelope-signature.ts';
import { type OpenedEnvelope, openWithContentKey, verifyEnvelope } from './open-envelope.ts';
import { baseHeader, DEFAULT_SUITE, type EnvelopeFields, sign } from './seal-envelope.ts';

/**
 * Content type of a sender-key distribution: a channel envelope encrypted to members' KEM keys
 * whose content is a ChannelSenderKey; the channel service delivers it only to those members.
 */
export const CHANNEL_KEY_CONTENT_TYPE = 'application/vnd.proof-messenger.channel-key';

/** Metadata of a channel message: a channel and epoch instead of a recipient. */
export type ChannelEnvelopeFields = Omit<
  EnvelopeFields,
  'recipientId' | 'channelId' | 'channelEpoch'
> & {
  readonly channelId: string;
  readonly channelEpoch: bigint;
};

/**
 * Encrypts `plaintext` for the members holding `senderKey` and signs the envelope.
 * @throws InvalidArgumentError when a field is malformed (named in the message)
 */
export async function sealChannelEnvelope(
  provider: CryptoProvider,
  signer: CompositeSigner,
  fields: ChannelEnvelopeFields,
  senderKey: SenderKey,
  plaintext: Uint8Array,
): Promise<Envelope> {
  const suite = fields.suite ?? DEFAULT_SUITE;
  const scope = { suite, channelId: fields.channelId, epoch: fields.channelEpoch };
  const wrapped = wrapForSenderKey(provider, senderKey, scope);
  try {
    const header = baseHeader({ ...fields, suite }, signer, ContentMode.ENCRYPTED);
    header.recipients = [
      create(RecipientKeySchema, {
        keyId: senderKey.keyId,
        kemCiphertext: new Uint8Array(0),
        wrappedKey: wrapped.wrappedKey,
      }),
    ];
    header.nonce = wrapped.nonce;
    checkEnvelopeHeader(header);
    const headerBytes = toBinary(EnvelopeHeaderSchema, header);
    const payload = encryptContent(
      provider,
      wrapped.contentKey,
      wrapped.nonce,
      plaintext,
      payloadAssociatedData(headerBytes),
    );
    return await sign(signer, headerBytes, payload);
  } finally {
    zeroize(wrapped.contentKey);
  }
}

/** The sender key id a channel message was encrypted under ('' for other envelopes). */
export function senderKeyIdOf(header: EnvelopeHeader): string {
  const [entry] = header.recipients;
  return header.destination.case === 'channelId' &&
    header.recipients.length === 1 &&
    entry !== undefined &&
    entry.kemCiphertext.length === 0
    ? entry.keyId
    : '';
}

/**
 * Verifies a channel message against its publisher's key, then decrypts it with `senderKey`.
 * @throws as verifyEnvelope; InvalidArgumentError when it is not a sender-key channel message;
 *   DecryptionError when the sender key does not open it
 */
export async function openChannelEnvelope(
  provider: CryptoProvider,
  envelope: Envelope | undefined,
  publisherKey: CompositePublicKey,
  senderKey: SenderKey,
): Promise<OpenedEnvelope> {
  const verified = await verifyEnvelope(provider, envelope, publisherKey);
  const { header, envelope: raw } = verified;
  if (header.contentMode === ContentMode.SIGNED_CLEARTEXT)
    return { ...verified, content: raw.payload };
  const keyId = senderKeyIdOf(header);
  if (keyId === '' || header.destination.case !== 'channelId') {
    throw new InvalidArgumentError('envelope is not a channel message under a sender key', {
      field: 'envelope.header.recipients',
    });
  }
  if (keyId !== senderKey.keyId) {
    throw new DecryptionError(
      `channel message is under sender key ${keyId}, not ${senderKey.keyId}`,
    );
  }
  const scope = {
    suite: header.suite,
    channelId: header.destination.value,
    epoch: header.channelEpoch,
  };
  const contentKey = unwrapWithSenderKey(
    provider,
    senderKey,
    scope,
    header.nonce,
    header.recipients[0]?.wrappedKey ?? new Uint8Array(0),
  );
  return openWithContentKey(provider, verified, contentKey);
}
