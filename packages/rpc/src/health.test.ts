import * as grpc from '@grpc/grpc-js';
import { EnvelopeProcessorService } from '@proof-messenger/proto';
import { service as healthServiceDefinition } from 'grpc-health-check';
import { afterEach, describe, expect, it } from 'vitest';
import { recordingLogger, unary, unaryError } from './_testing.ts';
import { createGrpcServer, type GrpcServer } from './grpc-server.ts';
import { HealthService } from './health.ts';

// A grpc.health.v1 client built from the same proto the service uses (proto-loader, enums as names).
interface HealthCheckResponse {
  status: string;
}
interface HealthClient extends grpc.Client {
  Check(request: { service: string }, callback: grpc.requestCallback<HealthCheckResponse>): void;
  Watch(request: { service: string }): grpc.ClientReadableStream<HealthCheckResponse>;
}
const HealthClient = grpc.makeGenericClientConstructor(
  healthServiceDefinition,
  'grpc.health.v1.Health',
) as unknown as new (
  address: string,
  credentials: grpc.ChannelCredentials,
) => HealthClient;

const ENVELOPE_PROCESSOR = 'proofmessenger.v1.EnvelopeProcessorService';

describe('health', () => {
  let server: GrpcServer;
  let client: HealthClient;

  async function start(): Promise<void> {
    server = createGrpcServer({
      log: recordingLogger(),
      services: [{ service: EnvelopeProcessorService, implementation: {} }],
    });
    const port = await server.listen('127.0.0.1', 0);
    client = new HealthClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  }

  const check = (service: string) =>
    unary<HealthCheckResponse>((cb) => client.Check({ service }, cb));

  afterEach(async () => {
    client.close();
    await server.shutdown();
  });

  it('answers SERVING for the server and each service once listening', async () => {
    await start();
    expect(await check('')).toEqual({ status: 'SERVING' });
    expect(await check(ENVELOPE_PROCESSOR)).toEqual({ status: 'SERVING' });
  });

  it('answers NOT_FOUND for a service it does not know', async () => {
    await start();
    const e = await unaryError((cb) => client.Check({ service: 'no.such.Service' }, cb));
    expect(e.code).toBe(grpc.status.NOT_FOUND);
  });

  it('reports a status a service sets', async () => {
    await start();
    server.health.setStatus(ENVELOPE_PROCESSOR, 'NOT_SERVING');
    expect(await check(ENVELOPE_PROCESSOR)).toEqual({ status: 'NOT_SERVING' });
    expect(await check('')).toEqual({ status: 'SERVING' });
  });

  it('tells watchers NOT_SERVING as soon as shutdown begins', async () => {
    await start();
    const watch = client.Watch({ service: '' });
    watch.on('error', () => {}); // the CANCELLED status after we cancel below
    const statuses: string[] = [];
    const notServing = new Promise<void>((resolve) =>
      watch.on('data', (response: HealthCheckResponse) => {
        statuses.push(response.status);
        if (response.status === 'NOT_SERVING') resolve();
      }),
    );
    await new Promise((resolve) => watch.once('data', resolve));
    const shutdown = server.shutdown();
    await notServing;
    expect(statuses).toEqual(['SERVING', 'NOT_SERVING']);
    watch.cancel(); // an open Watch would otherwise hold the graceful shutdown until its timeout
    await shutdown;
  });
});

describe('HealthService', () => {
  it('keeps everything NOT_SERVING once shut down', () => {
    const health = new HealthService();
    health.setStatus('', 'SERVING');
    health.setStatus('a.B', 'SERVING');
    health.shutdown();
    health.setStatus('a.B', 'SERVING');
    health.setStatus('c.D', 'SERVING');
    expect(health.status('')).toBe('NOT_SERVING');
    expect(health.status('a.B')).toBe('NOT_SERVING');
    expect(health.status('c.D')).toBeUndefined();
  });
});
