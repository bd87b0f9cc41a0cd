/**
 * The gRPC-web gateway and the fetch transport against a real grpc-js server on port 0: the same
 * calls made over grpc-js and over gRPC-web must give the same responses and the same typed
 * errors (code, reason, message, ErrorDetail facts), with metadata, deadlines and server-streamed
 * messages relayed, and the gateway's own answers (CORS, size limit, non-gRPC-web requests) exact.
 */
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import {
  Code,
  InvalidArgumentError,
  ProofMessengerError,
  RateLimitedError,
  Reason,
} from '@proof-messenger/errors';
import {
  EnvelopeProcessorService,
  ReceiveMessagesRequestSchema,
  ReceiveMessagesResponseSchema,
  VerifyEnvelopeResponseSchema,
} from '@proof-messenger/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordingLogger } from './_testing.ts';
import { createGrpcServer, type GrpcServer } from './grpc-server.ts';
import { GrpcTransport } from './grpc-transport.ts';
import { createGrpcWebProxy, type GrpcWebProxy } from './grpc-web-proxy.ts';
import { GrpcWebTransport } from './grpc-web-transport.ts';
import { encodeFrame, parseFrames, parseTrailers } from './internal/grpc-web-codec.ts';
import { ServiceClient } from './service-client.ts';

const ORIGIN = 'https://app.example';
const ACK_PATH = '/proofmessenger.v1.EnvelopeProcessorService/Acknowledge';
const STREAM_PATH = '/proofmessenger.v1.EnvelopeProcessorService/ReceiveMessages';

/** What a caught rejection carries, for comparing the two transports. */
async function failure(promise: Promise<unknown>): Promise<Record<string, unknown>> {
  try {
    await promise;
  } catch (error) {
    if (!(error instanceof ProofMessengerError)) throw error;
    const { code, reason, message, field, retryable, retryAfterMs, metadata } = error;
    return { code, reason, message, field, retryable, retryAfterMs, metadata };
  }
  throw new Error('expected the call to fail');
}

function grpcWebPost(url: string, body: Uint8Array, headers: Record<string, string> = {}) {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/grpc-web+proto', 'x-grpc-web': '1', ...headers },
    body,
  });
}

describe('gRPC-web gateway', () => {
  let server: GrpcServer;
  let proxy: GrpcWebProxy;
  let grpcClient: ServiceClient<typeof EnvelopeProcessorService>;
  let webClient: ServiceClient<typeof EnvelopeProcessorService>;
  /** Milliseconds the nack handler saw before its call was aborted (the relayed deadline). */
  let nackAborted: Promise<number>;
  let resolveNackAborted: (ms: number) => void = () => {};

  beforeAll(async () => {
    nackAborted = new Promise((resolve) => {
      resolveNackAborted = resolve;
    });
    server = createGrpcServer({
      log: recordingLogger(),
      services: [
        {
          service: EnvelopeProcessorService,
          implementation: {
            verifyEnvelope: (request, context) => ({
              valid: true,
              signerId: String(context.metadata.get('authorization')[0] ?? ''),
              failureMessage: String(context.metadata.get('x-trace')[0] ?? ''),
              signedContent: request.envelope?.payload ?? new Uint8Array(),
            }),
            acknowledge: (request) => {
              if (request.deliveryId === 'busy') {
                throw new RateLimitedError('too many acks; slow down', {
                  retryAfterMs: 1500,
                  metadata: { limit: '100/s' },
                });
              }
              throw new InvalidArgumentError('délivery id « x » is not 100% valid', {
                field: 'delivery_id',
                metadata: { got: request.deliveryId },
              });
            },
            nack: async (_request, context) => {
              const started = Date.now();
              await new Promise((resolve) =>
                context.signal.addEventListener('abort', resolve, { once: true }),
              );
              resolveNackAborted(Date.now() - started);
              return {};
            },
            receiveMessages: async function* (request) {
              for (let i = 1; i <= request.maxInFlight; i++) {
                yield { delivery: { deliveryId: `d${i}`, deliveryCount: i } };
              }
              throw new InvalidArgumentError('stream ended on purpose', { field: 'max_in_flight' });
            },
          },
        },
      ],
    });
    const port = await server.listen('127.0.0.1', 0);
    proxy = await createGrpcWebProxy({
      target: `127.0.0.1:${port}`,
      allowedOrigins: [ORIGIN],
      maxRequestBytes: 2048,
    });
    grpcClient = new ServiceClient(
      EnvelopeProcessorService,
      new GrpcTransport(`127.0.0.1:${port}`),
    );
    webClient = new ServiceClient(
      EnvelopeProcessorService,
      new GrpcWebTransport({ baseUrl: proxy.url }),
    );
  });

  afterAll(async () => {
    grpcClient.close();
    webClient.close();
    await proxy.close();
    await server.shutdown();
  });

  it('answers a unary call exactly as grpc-js does, with metadata relayed', async () => {
    const request = { envelope: { payload: new Uint8Array([0, 1, 2, 255]) } };
    const options = { metadata: { authorization: 'Bearer t0k3n', 'x-trace': 'abc' } };
    const viaWeb = await webClient.call('verifyEnvelope', request, options);
    const viaGrpc = await grpcClient.call('verifyEnvelope', request, options);
    expect(viaWeb).toEqual(
      create(VerifyEnvelopeResponseSchema, {
        valid: true,
        signerId: 'Bearer t0k3n',
        failureMessage: 'abc',
        signedContent: new Uint8Array([0, 1, 2, 255]),
      }),
    );
    expect(viaWeb).toEqual(viaGrpc);
  });

  it('decodes a refusal to the same ProofMessengerError as grpc-js (message, ErrorDetail)', async () => {
    const viaWeb = await failure(webClient.call('acknowledge', { deliveryId: 'd-1' }));
    expect(viaWeb).toEqual({
      code: Code.INVALID_ARGUMENT,
      reason: Reason.INVALID_ARGUMENT,
      message: 'délivery id « x » is not 100% valid',
      field: 'delivery_id',
      retryable: false,
      retryAfterMs: 0,
      metadata: { got: 'd-1' },
    });
    expect(viaWeb).toEqual(await failure(grpcClient.call('acknowledge', { deliveryId: 'd-1' })));
  });

  it('keeps retryable and retry-after through the details trailer', async () => {
    const viaWeb = await failure(webClient.call('acknowledge', { deliveryId: 'busy' }));
    expect(viaWeb).toEqual({
      code: Code.RESOURCE_EXHAUSTED,
      reason: Reason.RATE_LIMITED,
      message: 'too many acks; slow down',
      field: '',
      retryable: true,
      retryAfterMs: 1500,
      metadata: { limit: '100/s' },
    });
    expect(viaWeb).toEqual(await failure(grpcClient.call('acknowledge', { deliveryId: 'busy' })));
  });

  it('relays grpc-timeout to the server as the call deadline', async () => {
    const response = await grpcWebPost(
      `${proxy.url}/proofmessenger.v1.EnvelopeProcessorService/Nack`,
      encodeFrame(0, new Uint8Array()),
      { 'grpc-timeout': '300m' },
    );
    expect(response.status).toBe(200);
    const frames = parseFrames(new Uint8Array(await response.arrayBuffer()));
    expect(frames.map((frame) => frame.flag)).toEqual([0x80]);
    const trailers = parseTrailers(frames[0]?.payload ?? new Uint8Array());
    expect(trailers.get('grpc-status')).toBe(String(Code.DEADLINE_EXCEEDED));
    const waited = await nackAborted;
    expect(waited).toBeGreaterThanOrEqual(250);
    expect(waited).toBeLessThan(2000);
  });

  it('fails a call whose timeout passes with DEADLINE_EXCEEDED', async () => {
    const error = await failure(webClient.call('nack', { deliveryId: 'x' }, { timeoutMs: 100 }));
    expect(error.code).toBe(Code.DEADLINE_EXCEEDED);
    expect(error.reason).toBe(Reason.UNSPECIFIED);
  });

  it('fails a call whose signal aborts with CANCELLED', async () => {
    const controller = new AbortController();
    const call = webClient.call('nack', { deliveryId: 'x' }, { signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    expect(await failure(call)).toEqual({
      code: Code.CANCELLED,
      reason: Reason.UNSPECIFIED,
      message: 'call cancelled',
      field: '',
      retryable: false,
      retryAfterMs: 0,
      metadata: {},
    });
  });

  it('relays every message of a server stream, then its status', async () => {
    const request = toBinary(
      ReceiveMessagesRequestSchema,
      create(ReceiveMessagesRequestSchema, { maxInFlight: 3 }),
    );
    const response = await grpcWebPost(`${proxy.url}${STREAM_PATH}`, encodeFrame(0, request));
    const frames = parseFrames(new Uint8Array(await response.arrayBuffer()));
    expect(frames.map((frame) => frame.flag)).toEqual([0, 0, 0, 0x80]);
    const ids = frames
      .slice(0, 3)
      .map(
        (frame) => fromBinary(ReceiveMessagesResponseSchema, frame.payload).delivery?.deliveryId,
      );
    expect(ids).toEqual(['d1', 'd2', 'd3']);
    const trailers = parseTrailers(frames[3]?.payload ?? new Uint8Array());
    expect(trailers.get('grpc-status')).toBe(String(Code.INVALID_ARGUMENT));
    expect(trailers.get('grpc-message')).toBe('stream ended on purpose');
    expect(trailers.get('grpc-status-details-bin')).toMatch(/^[A-Za-z0-9+/]+=*$/);
  });

  it('answers a request over the size limit with RESOURCE_EXHAUSTED', async () => {
    const big = { envelope: { payload: new Uint8Array(4096) } };
    expect(await failure(webClient.call('verifyEnvelope', big))).toEqual({
      code: Code.RESOURCE_EXHAUSTED,
      reason: Reason.UNSPECIFIED,
      message: 'request larger than 2048 bytes',
      field: '',
      retryable: false,
      retryAfterMs: 0,
      metadata: {},
    });
  });

  it('applies the size limit to a body without content-length', async () => {
    const chunk = encodeFrame(0, new Uint8Array(4096));
    const response = await fetch(`${proxy.url}${ACK_PATH}`, {
      method: 'POST',
      headers: { 'content-type': 'application/grpc-web+proto' },
      body: new ReadableStream({
        start(controller) {
          controller.enqueue(chunk);
          controller.close();
        },
      }),
      duplex: 'half',
    } as RequestInit);
    expect(response.headers.get('content-length')).toBe(null);
    expect(response.headers.get('grpc-status')).toBe(String(Code.RESOURCE_EXHAUSTED));
    expect(response.headers.get('grpc-message')).toBe('request larger than 2048 bytes');
  });

  it('answers a malformed body with INVALID_ARGUMENT', async () => {
    const truncated = encodeFrame(0, new Uint8Array(10)).subarray(0, 8);
    const response = await grpcWebPost(`${proxy.url}${ACK_PATH}`, truncated);
    expect(response.status).toBe(200);
    expect(response.headers.get('grpc-status')).toBe(String(Code.INVALID_ARGUMENT));
    expect(response.headers.get('grpc-message')).toBe('gRPC-web frame announces 10 bytes, 3 left');
  });

  it('answers an unknown method with the server’s UNIMPLEMENTED', async () => {
    const response = await grpcWebPost(
      `${proxy.url}/proofmessenger.v1.EnvelopeProcessorService/NoSuchMethod`,
      encodeFrame(0, new Uint8Array()),
    );
    const frames = parseFrames(new Uint8Array(await response.arrayBuffer()));
    const trailers = parseTrailers(frames.at(-1)?.payload ?? new Uint8Array());
    expect(trailers.get('grpc-status')).toBe(String(Code.UNIMPLEMENTED));
  });

  it('answers a CORS preflight from an allowed origin', async () => {
    const response = await fetch(`${proxy.url}${ACK_PATH}`, {
      method: 'OPTIONS',
      headers: {
        origin: ORIGIN,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, content-type, x-grpc-web',
      },
    });
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect(response.headers.get('access-control-allow-methods')).toBe('POST');
    expect(response.headers.get('access-control-allow-headers')).toBe(
      'authorization, content-type, x-grpc-web',
    );
    expect(response.headers.get('vary')).toBe('Origin');
  });

  it('exposes the status headers to an allowed origin', async () => {
    const response = await grpcWebPost(
      `${proxy.url}${ACK_PATH}`,
      encodeFrame(0, new Uint8Array()),
      { origin: ORIGIN },
    );
    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect(response.headers.get('access-control-expose-headers')).toBe(
      'grpc-status, grpc-message, grpc-status-details-bin',
    );
  });

  it('refuses origins that are not allowed, preflight or not', async () => {
    for (const method of ['OPTIONS', 'POST']) {
      const response = await fetch(`${proxy.url}${ACK_PATH}`, {
        method,
        headers: {
          origin: 'https://evil.example',
          'access-control-request-method': 'POST',
          'content-type': 'application/grpc-web+proto',
        },
        ...(method === 'POST' ? { body: encodeFrame(0, new Uint8Array()) } : {}),
      });
      expect(response.status).toBe(403);
      expect(response.headers.get('access-control-allow-origin')).toBe(null);
      expect(await response.text()).toBe(
        'origin https://evil.example is not allowed to call this gateway\n',
      );
    }
  });

  it('answers what is not a gRPC-web request with a clear 4xx', async () => {
    const get = await fetch(`${proxy.url}${ACK_PATH}`);
    expect([get.status, get.headers.get('allow'), await get.text()]).toEqual([
      405,
      'POST, OPTIONS',
      'gRPC-web calls are POST requests\n',
    ]);
    const json = await fetch(`${proxy.url}${ACK_PATH}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect([json.status, await json.text()]).toEqual([
      415,
      'content type must be application/grpc-web+proto, got "application/json"\n',
    ]);
    const text = await fetch(`${proxy.url}${ACK_PATH}`, {
      method: 'POST',
      headers: { 'content-type': 'application/grpc-web-text' },
      body: 'AAAAAAA=',
    });
    expect([text.status, await text.text()]).toEqual([
      415,
      'application/grpc-web-text is not supported; send application/grpc-web+proto\n',
    ]);
    const path = await grpcWebPost(
      `${proxy.url}/not/a/grpc/path`,
      encodeFrame(0, new Uint8Array()),
    );
    expect([path.status, await path.text()]).toEqual([
      404,
      'not a gRPC-web path: expected /<package.Service>/<Method>\n',
    ]);
  });
});

describe('gRPC-web gateway with a service map', () => {
  let server: GrpcServer;
  let proxy: GrpcWebProxy;

  beforeAll(async () => {
    server = createGrpcServer({ log: recordingLogger(), services: [] });
    const port = await server.listen('127.0.0.1', 0);
    proxy = await createGrpcWebProxy({
      target: {
        'grpc.health.v1.Health': `127.0.0.1:${port}`,
        'proofmessenger.v1.KeyManagementService': '127.0.0.1:1',
      },
    });
  });

  afterAll(async () => {
    await proxy.close();
    await server.shutdown();
  });

  it('routes a service to its target (health Check: SERVING)', async () => {
    const response = await grpcWebPost(
      `${proxy.url}/grpc.health.v1.Health/Check`,
      encodeFrame(0, new Uint8Array()),
    );
    const frames = parseFrames(new Uint8Array(await response.arrayBuffer()));
    // HealthCheckResponse { status: SERVING (1) } is field 1, varint 1.
    expect(frames.map((frame) => [frame.flag, [...frame.payload]])).toEqual([
      [0, [0x08, 0x01]],
      [0x80, [...new TextEncoder().encode('grpc-status: 0\r\ngrpc-message: OK\r\n')]],
    ]);
  });

  it('answers a service no target serves with UNIMPLEMENTED, even one named like a builtin', async () => {
    for (const service of ['proofmessenger.v1.ChannelService', 'constructor']) {
      const client = new ServiceClient(
        EnvelopeProcessorService,
        new GrpcWebTransport({
          baseUrl: proxy.url,
          fetch: (_url, init) => fetch(`${proxy.url}/${service}/Acknowledge`, init),
        }),
      );
      expect(await failure(client.call('acknowledge', {}))).toEqual({
        code: Code.UNIMPLEMENTED,
        reason: Reason.UNSPECIFIED,
        message: `the gateway serves no service ${service}`,
        field: '',
        retryable: false,
        retryAfterMs: 0,
        metadata: {},
      });
    }
  });

  it('answers a target that does not listen with UNAVAILABLE', async () => {
    const client = new ServiceClient(
      EnvelopeProcessorService,
      new GrpcWebTransport({
        baseUrl: proxy.url,
        fetch: (_url, init) =>
          fetch(`${proxy.url}/proofmessenger.v1.KeyManagementService/GetIdentity`, init),
      }),
    );
    const error = await failure(client.call('acknowledge', {}, { timeoutMs: 5000 }));
    expect(error.code).toBe(Code.UNAVAILABLE);
  });

  it('reports a gateway that does not answer as UNAVAILABLE', async () => {
    const client = new ServiceClient(
      EnvelopeProcessorService,
      new GrpcWebTransport({ baseUrl: 'http://127.0.0.1:1' }),
    );
    const error = await failure(client.call('acknowledge', {}));
    expect(error.code).toBe(Code.UNAVAILABLE);
    expect(error.message).toMatch(/^gRPC-web gateway at http:\/\/127\.0\.0\.1:1 unreachable: /);
  });
});
