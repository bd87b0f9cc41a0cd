/**
 * Header validation (exact messages for each rejection) and properties of the header encoding:
 * decode(encode(x)) = x, and distinct headers or payloads never share signed bytes.
 */
import { create, equals, fromBinary, toBinary } from '@bufbuild/protobuf';
import { toHex } from '@proof-messenger/crypto';
import {
  ContentMode,
  type EnvelopeHeader,
  EnvelopeHeaderSchema,
  Priority,
  type Suite,
} from '@proof-messenger/proto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { envelopeSignedBytes, newMessageId, parseEnvelopeHeader } from '../src/index.ts';

const KEY_ID = 'AAAAAAAAAAAAAAAAAAAAAA';

function validHeader(overrides: Partial<EnvelopeHeader> = {}): EnvelopeHeader {
  const header = create(EnvelopeHeaderSchema, {
    version: 1,
    messageId: '0192f6a0-7c1e-7b3a-9c2d-4e5f6a7b8c9d',
    senderId: 'agent-a',
    destination: { case: 'recipientId', value: 'agent-b' },
    priority: Priority.NORMAL,
    createdAtMs: 1_700_000_000_000n,
    senderKeyId: KEY_ID,
    suite: 1,
    contentMode: ContentMode.ENCRYPTED,
    recipients: [
      { keyId: KEY_ID, kemCiphertext: new Uint8Array(1088), wrappedKey: new Uint8Array(48) },
    ],
    nonce: new Uint8Array(12),
  });
  return Object.assign(header, overrides);
}

const parse = (header: EnvelopeHeader) => () =>
  parseEnvelopeHeader(toBinary(EnvelopeHeaderSchema, header));

describe('parseEnvelopeHeader', () => {
  it('accepts a valid header', () => {
    expect(parse(validHeader())().senderId).toBe('agent-a');
  });

  it.each<[string, Partial<EnvelopeHeader>, string]>([
    ['version', { version: 2 }, 'envelope.header.version must be 1, got 2'],
    ['message id', { messageId: 'abc' }, 'envelope.header.message_id must be a lower-case UUID'],
    ['sender', { senderId: 'Agent A' }, 'envelope.header.sender_id must be 1-128 characters'],
    [
      'sender posing as an operator',
      { senderId: 'operator:ops' },
      'envelope.header.sender_id must not start with "operator:"',
    ],
    [
      'recipient posing as a service',
      { destination: { case: 'recipientId', value: 'service:channel' } },
      'envelope.header.recipient_id must not start with "service:"',
    ],
    [
      'destination',
      { destination: { case: undefined } },
      'envelope.header.destination must set recipient_id or channel_id',
    ],
    [
      'channel id',
      { destination: { case: 'channelId', value: '#ops' } },
      'envelope.header.channel_id must be 1-128 characters',
    ],
    [
      'epoch on direct',
      { channelEpoch: 3n },
      'envelope.header.channel_epoch must be 0 for a direct message',
    ],
    ['priority', { priority: 9 as Priority }, 'envelope.header.priority must be one of 0-4'],
    [
      'ttl',
      { ttlSeconds: 31 * 24 * 3600 },
      'envelope.header.ttl_seconds must be at most 2592000 (30 days), got 2678400',
    ],
    [
      'created at',
      { createdAtMs: 0n },
      'envelope.header.created_at_ms must be a positive Unix time',
    ],
    [
      'correlation id',
      { correlationId: 'x'.repeat(129) },
      'envelope.header.correlation_id must be at most 128 characters, got 129',
    ],
    [
      'key id',
      { senderKeyId: 'short' },
      'envelope.header.sender_key_id must be a key id of 22 base64url characters',
    ],
    ['suite', { suite: 7 as Suite }, 'suite 7 is not supported; use 1 (ML-KEM-768) or 2 (X-Wing)'],
    [
      'content mode',
      { contentMode: ContentMode.UNSPECIFIED },
      'envelope.header.content_mode must be ENCRYPTED (1) or SIGNED_CLEARTEXT (2), got 0',
    ],
    [
      'no recipients',
      { recipients: [] },
      'envelope.header.recipients must list 1 to 1024 recipient keys, got 0',
    ],
    [
      'kem ciphertext size',
      {
        recipients: [
          {
            $typeName: 'proofmessenger.v1.RecipientKey',
            keyId: KEY_ID,
            kemCiphertext: new Uint8Array(1120),
            wrappedKey: new Uint8Array(48),
          },
        ],
      },
      'envelope.header.recipients[0].kem_ciphertext must be 1088 bytes for suite 1, got 1120',
    ],
    [
      'wrapped key size',
      {
        recipients: [
          {
            $typeName: 'proofmessenger.v1.RecipientKey',
            keyId: KEY_ID,
            kemCiphertext: new Uint8Array(1088),
            wrappedKey: new Uint8Array(32),
          },
        ],
      },
      'envelope.header.recipients[0].wrapped_key must be 48 bytes, got 32',
    ],
    ['nonce', { nonce: new Uint8Array(16) }, 'envelope.header.nonce must be 12 bytes, got 16'],
    [
      'cleartext with nonce',
      { contentMode: ContentMode.SIGNED_CLEARTEXT, recipients: [] },
      'envelope.header.nonce must be empty for signed cleartext',
    ],
  ])('refuses a bad %s', (_name, overrides, message) => {
    expect(parse(validHeader(overrides))).toThrow(message);
  });

  it('refuses bytes that are not a header', () => {
    expect(() => parseEnvelopeHeader(new Uint8Array([0xff, 0xff, 0xff]))).toThrow(
      'envelope.header is not a valid EnvelopeHeader protobuf',
    );
    expect(() => parseEnvelopeHeader(new Uint8Array(0))).toThrow('envelope.header is required');
  });
});

type HeaderFields = typeof headerArbitrary extends fc.Arbitrary<infer T> ? T : never;

const headerArbitrary = fc.record({
  messageId: fc.constant(null).map(() => newMessageId()),
  senderId: fc.stringMatching(/^[a-z0-9][a-z0-9._:-]{0,20}$/),
  recipientId: fc.stringMatching(/^[a-z0-9][a-z0-9._:-]{0,20}$/),
  priority: fc.integer({ min: 0, max: 4 }),
  ttlSeconds: fc.integer({ min: 0, max: 2_592_000 }),
  createdAtMs: fc.bigInt({ min: 1n, max: 2n ** 50n }),
  correlationId: fc.string({ maxLength: 20 }),
  contentType: fc.string({ maxLength: 20 }),
  nonce: fc.uint8Array({ minLength: 12, maxLength: 12 }),
});

function toHeader(fields: HeaderFields): EnvelopeHeader {
  const { recipientId, priority, ...rest } = fields;
  return validHeader({
    ...rest,
    priority: priority as Priority,
    destination: { case: 'recipientId', value: recipientId },
  });
}

describe('header encoding properties', () => {
  it('decode(encode(x)) = x', () => {
    fc.assert(
      fc.property(headerArbitrary, (fields) => {
        const header = toHeader(fields);
        const decoded = fromBinary(EnvelopeHeaderSchema, toBinary(EnvelopeHeaderSchema, header));
        expect(equals(EnvelopeHeaderSchema, decoded, header)).toBe(true);
        expect(parseEnvelopeHeader(toBinary(EnvelopeHeaderSchema, header)).messageId).toBe(
          header.messageId,
        );
      }),
      { numRuns: 200 },
    );
  });

  it('distinct (header, payload) inputs never share signed bytes', () => {
    fc.assert(
      fc.property(
        headerArbitrary,
        headerArbitrary,
        fc.uint8Array({ maxLength: 64 }),
        fc.uint8Array({ maxLength: 64 }),
        (a, b, payloadA, payloadB) => {
          const headerA = toBinary(EnvelopeHeaderSchema, toHeader(a));
          const headerB = toBinary(EnvelopeHeaderSchema, toHeader(b));
          const sameInput =
            toHex(headerA) === toHex(headerB) && toHex(payloadA) === toHex(payloadB);
          const sameSigned =
            toHex(envelopeSignedBytes(headerA, payloadA)) ===
            toHex(envelopeSignedBytes(headerB, payloadB));
          expect(sameSigned).toBe(sameInput);
        },
      ),
      { numRuns: 200 },
    );
  });
});
