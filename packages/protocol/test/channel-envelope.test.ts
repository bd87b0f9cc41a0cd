/**
 * Channel messages under sender keys, on both providers: a round trip, and every way a member
 * without the right key, or an envelope moved to another channel or epoch, fails.
 */
import { fromBinary, toBinary } from '@bufbuild/protobuf';
import {
  CompositeSigner,
  type CryptoProvider,
  nativeProvider,
  newSenderKey,
  nobleProvider,
  unwrapWithSenderKey,
  utf8,
  wrapForSenderKey,
} from '@proof-messenger/crypto';
import {
  DecryptionError,
  InvalidArgumentError,
  SignatureInvalidError,
} from '@proof-messenger/errors';
import { EnvelopeHeaderSchema } from '@proof-messenger/proto';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_SUITE,
  openChannelEnvelope,
  parseEnvelopeHeader,
  sealChannelEnvelope,
  sealEnvelope,
  senderKeyIdOf,
} from '../src/index.ts';

describe.each([nativeProvider, nobleProvider])(
  'channel envelopes ($name)',
  (provider: CryptoProvider) => {
    const publisher = CompositeSigner.generate(provider).signer;
    const fields = { senderId: 'pub', channelId: 'news.eu', channelEpoch: 7n };

    it('opens with the epoch sender key and names it in the header', async () => {
      const senderKey = newSenderKey(provider);
      const envelope = await sealChannelEnvelope(
        provider,
        publisher,
        fields,
        senderKey,
        utf8('hello members'),
      );
      const header = parseEnvelopeHeader(envelope.header);
      expect(header.destination).toEqual({ case: 'channelId', value: 'news.eu' });
      expect(header.channelEpoch).toBe(7n);
      expect(senderKeyIdOf(header)).toBe(senderKey.keyId);
      expect(header.recipients[0]?.kemCiphertext.length).toBe(0);
      const opened = await openChannelEnvelope(provider, envelope, publisher.publicKey, senderKey);
      expect(new TextDecoder().decode(opened.content)).toBe('hello members');
    });

    it('refuses another sender key, even one with the same id', async () => {
      const senderKey = newSenderKey(provider);
      const envelope = await sealChannelEnvelope(
        provider,
        publisher,
        fields,
        senderKey,
        utf8('secret'),
      );
      await expect(
        openChannelEnvelope(provider, envelope, publisher.publicKey, newSenderKey(provider)),
      ).rejects.toThrow(DecryptionError);
      const impostor = { keyId: senderKey.keyId, key: provider.randomBytes(32) };
      await expect(
        openChannelEnvelope(provider, envelope, publisher.publicKey, impostor),
      ).rejects.toThrow('was not wrapped with sender key');
    });

    it('refuses a wrap moved to another channel, epoch or nonce', () => {
      const senderKey = newSenderKey(provider);
      const scope = { suite: DEFAULT_SUITE, channelId: 'a', epoch: 1n };
      const { nonce, wrappedKey, contentKey } = wrapForSenderKey(provider, senderKey, scope);
      expect(unwrapWithSenderKey(provider, senderKey, scope, nonce, wrappedKey)).toEqual(
        contentKey,
      );
      for (const moved of [
        { ...scope, channelId: 'b' },
        { ...scope, epoch: 2n },
        { ...scope, suite: scope.suite + 1 },
      ]) {
        expect(() => unwrapWithSenderKey(provider, senderKey, moved, nonce, wrappedKey)).toThrow(
          DecryptionError,
        );
      }
      const otherNonce = provider.randomBytes(12);
      expect(() => unwrapWithSenderKey(provider, senderKey, scope, otherNonce, wrappedKey)).toThrow(
        DecryptionError,
      );
    });

    it('detects a header edited to another epoch through the signature', async () => {
      const senderKey = newSenderKey(provider);
      const envelope = await sealChannelEnvelope(provider, publisher, fields, senderKey, utf8('x'));
      const header = fromBinary(EnvelopeHeaderSchema, envelope.header);
      header.channelEpoch = 8n;
      const edited = { ...envelope, header: toBinary(EnvelopeHeaderSchema, header) };
      await expect(
        openChannelEnvelope(provider, edited, publisher.publicKey, senderKey),
      ).rejects.toThrow(SignatureInvalidError);
    });

    it('is not fooled by a direct message and keeps KEM entries mandatory outside channels', async () => {
      const senderKey = newSenderKey(provider);
      const { KemKeyPair } = await import('@proof-messenger/crypto');
      const prekey = KemKeyPair.generate(provider, DEFAULT_SUITE).keyPair;
      const direct = await sealEnvelope(
        provider,
        publisher,
        { senderId: 'pub', recipientId: 'bob' },
        [prekey],
        utf8('d'),
      );
      expect(senderKeyIdOf(parseEnvelopeHeader(direct.header))).toBe('');
      await expect(
        openChannelEnvelope(provider, direct, publisher.publicKey, senderKey),
      ).rejects.toThrow(InvalidArgumentError);
      const envelope = await sealChannelEnvelope(provider, publisher, fields, senderKey, utf8('x'));
      const header = fromBinary(EnvelopeHeaderSchema, envelope.header);
      header.destination = { case: 'recipientId', value: 'bob' };
      header.channelEpoch = 0n;
      expect(() => parseEnvelopeHeader(toBinary(EnvelopeHeaderSchema, header))).toThrow(
        'envelope.header.recipients[0].kem_ciphertext must be',
      );
    });
  },
);
