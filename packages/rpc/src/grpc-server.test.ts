import { create } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import { Code, InvalidArgumentError, NotFoundError, Reason } from '@proof-messenger/errors';
import {
  EnvelopeProcessorService,
  EnvelopeSchema,
  ErrorReason,
  VerifyEnvelopeResponseSchema,
} from '@proof-messenger/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordingLogger, unary, unaryError } from './_testing.ts';
import { createGrpcServer, type GrpcServer } from './grpc-server.ts';
import { makeGrpcClient } from './grpc-service-definition.ts';
import { fromServiceError, INTERNAL_MESSAGE } from './status-mapper.ts';

const EnvelopeProcessorClient = makeGrpcClient(EnvelopeProcessorService);

describe('createGrpcServer', () => {
  const log = recordingLogger();
  let streamClosed: () => void = () => {};
  const streamClosedOnCancel = new Promise<void>((resolve) => {
    streamClosed = resolve;
  });
  let server: GrpcServer;
  let client: InstanceType<typeof EnvelopeProcessorClient>;
  let address: string;

  beforeAll(async () => {
    server = createGrpcServer({
      log,
      maxReceiveMessageBytes: 1024,
      services: [
        {
          service: EnvelopeProcessorService,
          implementation: {
            verifyEnvelope: async (request) => ({
              valid: true,
              signerId: 'agent-a',
              signedAtMs: 1_700_000_000_000n,
              signedContent: request.envelope?.payload ?? new Uint8Array(),
            }),
            acknowledge: async (request) => {
              throw new InvalidArgumentError('delivery_id must not be empty', {
                field: 'delivery_id',
                metadata: { got: request.deliveryId },
              });
            },
            nack: async () => {
              throw new Error('connect ECONNREFUSED 10.0.0.5:5432');
            },
            pollMessages: () => {
              throw new TypeError("Cannot read properties of undefined (reading 'x')");
            },
            receiveMessages: async function* (request, context) {
              if (request.maxInFlight === 99) {
                try {
                  yield { delivery: { deliveryId: 'first' } };
                  await new Promise((resolve) => context.signal.addEventListener('abort', resolve));
                } finally {
                  streamClosed();
                }
                return;
              }
              for (let i = 1; i <= request.maxInFlight; i++) {
                yield { delivery: { deliveryId: `d${i}`, deliveryCount: i } };
              }
              if (request.maxInFlight === 2) throw new NotFoundError('queue deleted mid-stream');
            },
          },
        },
      ],
    });
    const port = await server.listen('127.0.0.1', 0);
    address = `127.0.0.1:${port}`;
    client = new EnvelopeProcessorClient(address, grpc.credentials.createInsecure());
  });

  afterAll(async () => {
    client.close();
    await server.shutdown();
  });

  it('answers a unary call through the protobuf-es adapter', async () => {
    const payload = new Uint8Array([1, 2, 3]);
    const response = await unary<unknown>((cb) =>
      client.verifyEnvelope({ envelope: { payload } }, cb),
    );
    expect(response).toEqual(
      create(VerifyEnvelopeResponseSchema, {
        valid: true,
        signerId: 'agent-a',
        signedAtMs: 1_700_000_000_000n,
        signedContent: payload,
      }),
    );
  });

  it('answers a ProofMessengerError with its status, message and ErrorDetail', async () => {
    const e = await unaryError((cb) => client.acknowledge({ deliveryId: '' }, cb));
    expect(e.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(e.details).toBe('delivery_id must not be empty');
    const err = fromServiceError(e);
    expect(err.code).toBe(Code.INVALID_ARGUMENT);
    expect(err.reason).toBe(Reason.INVALID_ARGUMENT);
    expect(err.reason).toBe(ErrorReason.INVALID_ARGUMENT);
    expect(err.message).toBe('delivery_id must not be empty');
    expect(err.field).toBe('delivery_id');
    expect(err.retryable).toBe(false);
    expect(err.retryAfterMs).toBe(0);
    expect(err.metadata).toEqual({ got: '' });
  });

  it('answers any other rejection with a generic INTERNAL and logs the cause', async () => {
    const e = await unaryError((cb) => client.nack({ deliveryId: 'd1' }, cb));
    expect(e.code).toBe(grpc.status.INTERNAL);
    expect(e.details).toBe(INTERNAL_MESSAGE);
    expect(fromServiceError(e).reason).toBe(Reason.INTERNAL);
    const entry = log.entries.find(
      (logged) => logged.fields.method === '/proofmessenger.v1.EnvelopeProcessorService/Nack',
    );
    expect(entry?.level).toBe('error');
    expect(String(entry?.fields.err)).toBe('Error: connect ECONNREFUSED 10.0.0.5:5432');
  });

  it('answers a synchronous throw the same way', async () => {
    const e = await unaryError((cb) => client.pollMessages({}, cb));
    expect(e.code).toBe(grpc.status.INTERNAL);
    expect(e.details).toBe(INTERNAL_MESSAGE);
  });

  it('answers a body that does not decode with INVALID_ARGUMENT and keeps serving', async () => {
    const raw = new grpc.Client(address, grpc.credentials.createInsecure());
    try {
      const e = await unaryError<Buffer>((cb) =>
        raw.makeUnaryRequest(
          '/proofmessenger.v1.EnvelopeProcessorService/VerifyEnvelope',
          () => Buffer.from([0xde, 0xad, 0xbe, 0xef]),
          (bytes: Buffer) => bytes,
          null,
          cb,
        ),
      );
      expect(e.code).toBe(grpc.status.INVALID_ARGUMENT);
      expect(e.details).toBe('request body is not a valid proofmessenger.v1.VerifyEnvelopeRequest');
      expect(fromServiceError(e).reason).toBe(Reason.INVALID_ARGUMENT);
    } finally {
      raw.close();
    }
    const response = await unary<{ valid: boolean }>((cb) => client.verifyEnvelope({}, cb));
    expect(response.valid).toBe(true);
  });

  it('rejects a request over the size limit with RESOURCE_EXHAUSTED', async () => {
    const envelope = create(EnvelopeSchema, { payload: new Uint8Array(2048) });
    const e = await unaryError((cb) => client.verifyEnvelope({ envelope }, cb));
    expect(e.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
  });

  it('answers UNIMPLEMENTED for a method the service does not implement', async () => {
    const e = await unaryError((cb) => client.sendMessage({}, cb));
    expect(e.code).toBe(grpc.status.UNIMPLEMENTED);
  });

  it('streams the values a server-streaming handler yields', async () => {
    const call = client.receiveMessages({ maxInFlight: 3 });
    const ids: string[] = [];
    for await (const response of call) ids.push(response.delivery?.deliveryId ?? '');
    expect(ids).toEqual(['d1', 'd2', 'd3']);
  });

  it('ends a stream whose handler throws with the mapped status', async () => {
    const call = client.receiveMessages({ maxInFlight: 2 });
    const ids: string[] = [];
    const failure = new Promise<grpc.ServiceError>((resolve) => call.on('error', resolve));
    call.on('data', (response: { delivery?: { deliveryId: string } }) =>
      ids.push(response.delivery?.deliveryId ?? ''),
    );
    const e = await failure;
    expect(ids).toEqual(['d1', 'd2']);
    expect(e.code).toBe(grpc.status.NOT_FOUND);
    expect(e.details).toBe('queue deleted mid-stream');
    expect(fromServiceError(e).reason).toBe(Reason.NOT_FOUND);
  });

  it('aborts the handler when the client cancels a stream', async () => {
    const call = client.receiveMessages({ maxInFlight: 99 });
    call.on('error', () => {}); // the CANCELLED status the client gets back
    await new Promise((resolve) => call.once('data', resolve));
    call.cancel();
    await streamClosedOnCancel;
  });
});

describe('createGrpcServer registration', () => {
  it('calls class-based implementations with `this` bound', async () => {
    class Verifier {
      readonly signerId = 'agent-b';
      async verifyEnvelope() {
        return { valid: true, signerId: this.signerId };
      }
    }
    const server = createGrpcServer({
      log: recordingLogger(),
      services: [{ service: EnvelopeProcessorService, implementation: new Verifier() }],
    });
    const port = await server.listen('127.0.0.1', 0);
    const client = new EnvelopeProcessorClient(
      `127.0.0.1:${port}`,
      grpc.credentials.createInsecure(),
    );
    try {
      const response = await unary<{ signerId: string }>((cb) => client.verifyEnvelope({}, cb));
      expect(response.signerId).toBe('agent-b');
    } finally {
      client.close();
      await server.shutdown();
    }
  });

  it('rejects a handler for a method the service does not have', () => {
    expect(() =>
      createGrpcServer({
        log: recordingLogger(),
        services: [
          {
            service: EnvelopeProcessorService,
            // @ts-expect-error -- TypeScript catches the typo too; the server must not rely on it
            implementation: { verifyEnvelop: async () => ({}) },
          },
        ],
      }),
    ).toThrow('proofmessenger.v1.EnvelopeProcessorService has no method verifyEnvelop');
  });
});

describe('createGrpcServer shutdown', () => {
  it('cancels calls still running after the shutdown timeout', async () => {
    const server = createGrpcServer({
      log: recordingLogger(),
      shutdownTimeoutMs: 100,
      services: [
        {
          service: EnvelopeProcessorService,
          implementation: {
            verifyEnvelope: (_request, context) =>
              new Promise((_resolve, reject) =>
                context.signal.addEventListener('abort', () => reject(new Error('aborted'))),
              ),
          },
        },
      ],
    });
    const port = await server.listen('127.0.0.1', 0);
    const client = new EnvelopeProcessorClient(
      `127.0.0.1:${port}`,
      grpc.credentials.createInsecure(),
    );
    const pending = unaryError((cb) => client.verifyEnvelope({}, cb));
    await new Promise((resolve) => setTimeout(resolve, 50));
    const started = Date.now();
    await server.shutdown();
    expect(Date.now() - started).toBeLessThan(1000);
    expect((await pending).code).toBe(grpc.status.CANCELLED);
    client.close();
  });
});
