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
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { receivedEnvelopes, storedEnvelope } from '../src/routes/received-envelopes.ts';

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

  it('reads field 1 as the decoder does when its tag claims another wire type (found by the fuzz test)', () => {
    // 0x0a (field 1, length-delimited) with one bit flipped is 0x08 (field 1, varint). The
    // decoder still reads a length and an envelope; a walk that skipped a varint would go on
    // inside the envelope and take its header (field 1 there too) for an envelope.
    const sent = envelope(5);
    const inner = toBinary(EnvelopeSchema, sent);
    const request = new BinaryWriter().tag(1, WireType.Varint).bytes(inner).finish();
    const decoded = fromBinary(SendMessagesRequestSchema, request);
    expect(decoded.envelopes).toEqual([sent]);
    const [found] = receivedEnvelopes(request, 1) ?? [];
    expect(Buffer.from(found ?? []).equals(Buffer.from(inner))).toBe(true);
  });

  it('stores the received bytes only when they decode to the checked envelope', () => {
    const checked = envelope(6);
    const exact = toBinary(EnvelopeSchema, checked);
    expect(storedEnvelope(checked, exact)).toBe(exact);
    // Anything else — another envelope, its header alone, bytes that do not decode, nothing —
    // is replaced by a fresh encoding of the checked envelope.
    for (const other of [
      toBinary(EnvelopeSchema, envelope(7)),
      toBinary(
        EnvelopeSchema,
        create(EnvelopeSchema, {
          header: checked.header,
          payload: checked.payload,
          signature: {
            keyId: 'other',
            mlDsa65: checked.signature?.mlDsa65 ?? new Uint8Array(),
            ed25519: checked.signature?.ed25519 ?? new Uint8Array(),
          },
        }),
      ),
      checked.header,
      new Uint8Array([0xff, 0xff]),
      undefined,
    ]) {
      const stored = storedEnvelope(checked, other);
      expect(Buffer.from(stored).equals(Buffer.from(exact))).toBe(true);
    }
  });

  it('property: whatever the request bytes, what is stored decodes to the envelope the decoder read', () => {
    const valid = toBinary(
      SendMessagesRequestSchema,
      create(SendMessagesRequestSchema, { envelopes: [envelope(1), envelope(2)] }),
    );
    let checked = 0;
    fc.assert(
      fc.property(
        fc.oneof(
          fc
            .uniqueArray(fc.nat({ max: valid.length * 8 - 1 }), { minLength: 1, maxLength: 4 })
            .map((bits) => {
              const copy = valid.slice();
              for (const bit of bits) copy[bit >>> 3] = (copy[bit >>> 3] ?? 0) ^ (1 << (bit & 7));
              return copy;
            }),
          fc
            .uint8Array({ minLength: 1, maxLength: 64 })
            .map((tail) => Uint8Array.from([...valid, ...tail])),
        ),
        (request) => {
          let decoded: ReturnType<typeof fromBinary<typeof SendMessagesRequestSchema>>;
          try {
            decoded = fromBinary(SendMessagesRequestSchema, request);
          } catch {
            return; // refused as INVALID_ARGUMENT before anything is stored
          }
          const received = receivedEnvelopes(request, decoded.envelopes.length);
          for (const [i, checkedEnvelope] of decoded.envelopes.entries()) {
            const stored = fromBinary(
              EnvelopeSchema,
              storedEnvelope(checkedEnvelope, received?.[i]),
            );
            expect(Buffer.from(stored.header).equals(Buffer.from(checkedEnvelope.header))).toBe(
              true,
            );
            expect(Buffer.from(stored.payload).equals(Buffer.from(checkedEnvelope.payload))).toBe(
              true,
            );
            expect(stored.signature?.keyId).toBe(checkedEnvelope.signature?.keyId);
            expect(
              Buffer.from(stored.signature?.mlDsa65 ?? []).equals(
                Buffer.from(checkedEnvelope.signature?.mlDsa65 ?? []),
              ),
            ).toBe(true);
            expect(
              Buffer.from(stored.signature?.ed25519 ?? []).equals(
                Buffer.from(checkedEnvelope.signature?.ed25519 ?? []),
              ),
            ).toBe(true);
            checked++;
          }
        },
      ),
      { numRuns: 2000, seed: 20261202 },
    );
    // Not vacuous: most mutated requests still decode and carry envelopes.
    expect(checked).toBeGreaterThan(1000);
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
