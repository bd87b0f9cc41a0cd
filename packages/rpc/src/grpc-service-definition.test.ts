import { create } from '@bufbuild/protobuf';
import { Code, InvalidArgumentError } from '@proof-messenger/errors';
import {
  ChannelService,
  EnvelopeProcessorService,
  EnvelopeSchema,
  KeyManagementService,
  VerifyEnvelopeRequestSchema,
} from '@proof-messenger/proto';
import { describe, expect, it } from 'vitest';
import { toGrpcServiceDefinition } from './grpc-service-definition.ts';

describe('toGrpcServiceDefinition', () => {
  const definition = toGrpcServiceDefinition(EnvelopeProcessorService);

  it('names every method by its local name with the full gRPC path', () => {
    expect(Object.keys(definition)).toEqual([
      'sendMessage',
      'sendMessages',
      'receiveMessages',
      'pollMessages',
      'acknowledge',
      'nack',
      'verifyEnvelope',
      'getQueueState',
    ]);
    expect(definition.verifyEnvelope.path).toBe(
      '/proofmessenger.v1.EnvelopeProcessorService/VerifyEnvelope',
    );
    expect(definition.verifyEnvelope.originalName).toBe('VerifyEnvelope');
    expect(toGrpcServiceDefinition(KeyManagementService).getIdentity.path).toBe(
      '/proofmessenger.v1.KeyManagementService/GetIdentity',
    );
    expect(toGrpcServiceDefinition(ChannelService).publish.path).toBe(
      '/proofmessenger.v1.ChannelService/Publish',
    );
  });

  it('derives the streaming flags from the method kind', () => {
    expect(definition.verifyEnvelope.requestStream).toBe(false);
    expect(definition.verifyEnvelope.responseStream).toBe(false);
    expect(definition.receiveMessages.requestStream).toBe(false);
    expect(definition.receiveMessages.responseStream).toBe(true);
  });

  it('round-trips a request through serialize and deserialize', () => {
    const envelope = create(EnvelopeSchema, {
      header: new Uint8Array([1, 2]),
      payload: new Uint8Array([3]),
    });
    const bytes = definition.verifyEnvelope.requestSerialize({ envelope });
    expect(definition.verifyEnvelope.requestDeserialize(bytes)).toEqual({
      ok: true,
      message: create(VerifyEnvelopeRequestSchema, { envelope }),
      // The bytes it came from, for handlers that store parts of the request as received.
      bytes: new Uint8Array(bytes),
    });
  });

  it('returns an INVALID_ARGUMENT error instead of throwing on bytes that do not decode', () => {
    const decoded = definition.verifyEnvelope.requestDeserialize(Buffer.from([0xff, 0xff, 0xff]));
    if (decoded.ok) throw new Error('garbage decoded');
    expect(decoded.error).toBeInstanceOf(InvalidArgumentError);
    expect(decoded.error.code).toBe(Code.INVALID_ARGUMENT);
    expect(decoded.error.message).toBe(
      'request body is not a valid proofmessenger.v1.VerifyEnvelopeRequest',
    );
    expect(String(decoded.error.cause)).toBe('RangeError: premature EOF');
  });

  it('throws on a response that does not decode (grpc-js reports INTERNAL to the caller)', () => {
    expect(() => definition.verifyEnvelope.responseDeserialize(Buffer.from([0x0f]))).toThrow(
      'illegal tag: field no 1 wire type 7',
    );
  });
});
