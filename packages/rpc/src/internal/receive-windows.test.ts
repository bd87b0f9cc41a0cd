/** A client of createGrpcServer may send a whole largest request without a window update. */
import { once } from 'node:events';
import { type ClientHttp2Session, connect } from 'node:http2';
import { create, toBinary } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import {
  EnvelopeProcessorService,
  EnvelopeSchema,
  VerifyEnvelopeRequestSchema,
  VerifyEnvelopeResponseSchema,
} from '@proof-messenger/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordingLogger, unary } from '../_testing.ts';
import { createGrpcServer, type GrpcServer } from '../grpc-server.ts';
import { makeGrpcClient } from '../grpc-service-definition.ts';
import { receiveWindows, widenReceiveWindows } from './receive-windows.ts';

const MAX_MESSAGE = 1024 * 1024;

describe('receiveWindows', () => {
  it('holds one largest message per stream and four per connection, within HTTP/2 limits', () => {
    expect(receiveWindows(MAX_MESSAGE)).toEqual({
      stream: MAX_MESSAGE + 5,
      connection: 4 * (MAX_MESSAGE + 5),
    });
    expect(receiveWindows(2 ** 31)).toEqual({ stream: 2 ** 31 - 1, connection: 2 ** 31 - 1 });
  });

  it('refuses a server without the grpc-js internals it needs', () => {
    expect(() => widenReceiveWindows({} as grpc.Server, MAX_MESSAGE)).toThrow(
      'this grpc-js version has no createHttp2Server/commonServerOptions; update receive-windows.ts',
    );
  });
});

describe('createGrpcServer receive windows', () => {
  let server: GrpcServer;
  let port: number;
  let payloadSeen = 0;

  beforeAll(async () => {
    server = createGrpcServer({
      log: recordingLogger(),
      maxReceiveMessageBytes: MAX_MESSAGE,
      services: [
        {
          service: EnvelopeProcessorService,
          implementation: {
            verifyEnvelope: (request) => {
              payloadSeen = request.envelope?.payload.length ?? 0;
              return { valid: true };
            },
          },
        },
      ],
    });
    port = await server.listen('127.0.0.1', 0);
  });
  afterAll(() => server.shutdown());

  it('advertises them to a plain HTTP/2 client', async () => {
    const session: ClientHttp2Session = connect(`http://127.0.0.1:${port}`);
    try {
      const [settings] = await once(session, 'remoteSettings');
      expect(settings.initialWindowSize).toBe(MAX_MESSAGE + 5);
      // The connection window grows by a WINDOW_UPDATE right after the settings.
      const deadline = Date.now() + 2000;
      while (session.state.remoteWindowSize !== 4 * (MAX_MESSAGE + 5) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      expect(session.state.remoteWindowSize).toBe(4 * (MAX_MESSAGE + 5));
    } finally {
      session.close();
    }
  });

  it('still answers requests near the limit', async () => {
    const client = new (makeGrpcClient(EnvelopeProcessorService))(
      `127.0.0.1:${port}`,
      grpc.credentials.createInsecure(),
    );
    try {
      const payload = new Uint8Array(MAX_MESSAGE - 1024).fill(7);
      const request = create(VerifyEnvelopeRequestSchema, {
        envelope: create(EnvelopeSchema, { payload }),
      });
      expect(toBinary(VerifyEnvelopeRequestSchema, request).length).toBeLessThan(MAX_MESSAGE);
      const response = await unary((cb) => client.verifyEnvelope(request, cb));
      expect(response).toEqual(create(VerifyEnvelopeResponseSchema, { valid: true }));
      expect(payloadSeen).toBe(payload.length);
    } finally {
      client.close();
    }
  });
});
