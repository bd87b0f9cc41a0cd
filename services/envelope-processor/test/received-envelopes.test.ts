/**
 * receivedEnvelopes: the envelopes of a SendMessage(s) request as the client encoded them.
 */
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import {
  EnvelopeSchema,
  SendMessageRequestSchema,
  SendMessagesRequestSchema,
} from '@proof-messenger/proto';
import { describe, expect, it } from 'vitest';
import { receivedEnvelopes } from '../src/routes/received-envelopes.ts';

const envelope = (n: number) =>
  create(EnvelopeSchema, {
    header: new Uint8Array([1, 2, n]),
    payload: new Uint8Array(300).fill(n),
    signature: { mlDsa65: new Uint8Array(3309).fill(n), ed25519: new Uint8Array(64).fill(n) },
  });

describe('receivedEnvelopes', () => {
  it('finds each envelope of a SendMessages request, byte for byte, in order', () => {
    const envelopes = [envelope(1), envelope(2), envelope(3)];
    const request = toBinary(
      SendMessagesRequestSchema,
      create(SendMessagesRequestSchema, { envelopes }),
    );
    const found = receivedEnvelopes(request, 3);
    expect(found?.map((bytes) => Buffer.from(bytes).toString('hex'))).toEqual(
      envelopes.map((e) => Buffer.from(toBinary(EnvelopeSchema, e)).toString('hex')),
    );
  });

  it('finds the envelope of a SendMessage request', () => {
    const request = toBinary(
      SendMessageRequestSchema,
      create(SendMessageRequestSchema, { envelope: envelope(7) }),
    );
    const [found] = receivedEnvelopes(request, 1) ?? [];
    expect(fromBinary(EnvelopeSchema, found ?? new Uint8Array())).toEqual(envelope(7));
  });

  it('skips other fields and keeps what the client sent inside an envelope (unknown fields too)', () => {
    const inner = new BinaryWriter()
      .raw(toBinary(EnvelopeSchema, envelope(4)))
      .tag(99, WireType.Varint)
      .uint32(5)
      .finish();
    const request = new BinaryWriter()
      .tag(42, WireType.LengthDelimited)
      .bytes(new Uint8Array([9, 9]))
      .tag(1, WireType.LengthDelimited)
      .bytes(inner)
      .tag(43, WireType.Varint)
      .uint32(1)
      .finish();
    const [found] = receivedEnvelopes(request, 1) ?? [];
    expect(Buffer.from(found ?? []).equals(Buffer.from(inner))).toBe(true);
  });

  it('is undefined without the request bytes, for a different count, and for bytes that do not parse', () => {
    const request = toBinary(
      SendMessagesRequestSchema,
      create(SendMessagesRequestSchema, { envelopes: [envelope(1), envelope(2)] }),
    );
    expect(receivedEnvelopes(undefined, 1)).toBeUndefined();
    expect(receivedEnvelopes(request, 3)).toBeUndefined();
    expect(receivedEnvelopes(request.subarray(0, 100), 2)).toBeUndefined();
  });
});
