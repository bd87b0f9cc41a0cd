/**
 * What a member does with a channel delivery (docs/channels.md): a sender-key distribution is
 * opened with the member key it names, checked (channel, epoch, fingerprint) and stored in the key
 * store as a channel-sender key — never shown to the application; a channel message is verified
 * against its publisher's key and opened with the sender key it names. A message whose sender key
 * has not arrived yet fails as UNAVAILABLE (retryable), so the client hands it back for a moment
 * instead of dropping it.
 */
import { fromBinary } from '@bufbuild/protobuf';
import {
  type CompositePublicKey,
  type CryptoProvider,
  type KemKeyPair,
  senderKeyFingerprint,
  zeroize,
} from '@proof-messenger/crypto';
import {
  Code,
  InvalidArgumentError,
  ProofMessengerError,
  UnavailableError,
} from '@proof-messenger/errors';
import { ChannelSenderKeySchema, type Envelope, type EnvelopeHeader } from '@proof-messenger/proto';
import {
  CHANNEL_KEY_CONTENT_TYPE,
  type OpenedEnvelope,
  openChannelEnvelope,
  openEnvelope,
  senderKeyIdOf,
} from '@proof-messenger/protocol';
import type { KeyStore } from '../key-store.ts';

/** How long a received sender key is kept before the key store deletes it. */
const SENDER_KEY_LIFETIME_MS = 30 * 86_400_000;

export type ChannelDelivery =
  | { readonly kind: 'sender-key' }
  | { readonly kind: 'message'; readonly opened: OpenedEnvelope };

/** Opens a delivery whose header names a channel. */
export async function openChannelDelivery(
  provider: CryptoProvider,
  keyStore: KeyStore,
  envelope: Envelope,
  header: EnvelopeHeader,
  publisherKey: CompositePublicKey,
  nowMs: number,
): Promise<ChannelDelivery> {
  const channelId = header.destination.case === 'channelId' ? header.destination.value : '';
  if (header.contentType === CHANNEL_KEY_CONTENT_TYPE) {
    const memberKeys: KemKeyPair[] = [];
    for (const entry of header.recipients) {
      const record = await keyStore.get(entry.keyId);
      if (record?.kind === 'channel-member' && record.peerId === channelId) {
        memberKeys.push(await keyStore.loadKemKeyPair(record.keyId));
      }
    }
    const opened = await openEnvelope(provider, envelope, publisherKey, memberKeys);
    const sent = fromBinary(ChannelSenderKeySchema, opened.content);
    if (sent.channelId !== channelId || sent.epoch !== header.channelEpoch) {
      throw new InvalidArgumentError(
        `sender key is for ${sent.channelId} epoch ${sent.epoch}, but came in ${channelId} epoch ${header.channelEpoch}`,
        { field: 'content' },
      );
    }
    if (senderKeyFingerprint(provider, sent.key) !== sent.keyId) {
      throw new InvalidArgumentError('sender key id is not the fingerprint of the key', {
        field: 'content.key_id',
      });
    }
    try {
      await keyStore.put({
        kind: 'channel-sender',
        peerId: channelId,
        seed: sent.key.slice(),
        createdAtMs: nowMs,
        expiresAtMs: nowMs + SENDER_KEY_LIFETIME_MS,
      });
    } catch (error) {
      // Delivered again: the key is held already.
      if (!(error instanceof ProofMessengerError && error.code === Code.ALREADY_EXISTS))
        throw error;
    } finally {
      zeroize(sent.key);
    }
    return { kind: 'sender-key' };
  }
  const keyId = senderKeyIdOf(header);
  const record = keyId === '' ? undefined : await keyStore.get(keyId);
  if (keyId !== '' && record === undefined) {
    throw new UnavailableError(
      `sender key ${keyId} of ${header.senderId} for ${channelId} epoch ${header.channelEpoch} has not arrived yet`,
    );
  }
  const senderKey =
    record === undefined
      ? { keyId: '', key: new Uint8Array(32) } // signed cleartext: no key is used
      : await keyStore.loadSenderKey(record.keyId);
  try {
    return {
      kind: 'message',
      opened: await openChannelEnvelope(provider, envelope, publisherKey, senderKey),
    };
  } finally {
    zeroize(senderKey.key);
  }
}
