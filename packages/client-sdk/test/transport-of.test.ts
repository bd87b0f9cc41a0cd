/**
 * Which transport the SDK's clients talk through, and who closes it: one they made from an
 * address they close; one they were given stays open for its other users.
 */
import { nobleProvider } from '@proof-messenger/crypto';
import { InvalidArgumentError } from '@proof-messenger/errors';
import { GrpcTransport, GrpcWebTransport, type RpcTransport } from '@proof-messenger/rpc';
import { describe, expect, it } from 'vitest';
import { transportOf } from '../src/internal/transport-of.ts';
import { KeyManagementClient } from '../src/key-management-client.ts';

function recordingTransport(): RpcTransport & { closed: number } {
  return {
    closed: 0,
    unary: () => Promise.reject(new Error('not called here')),
    close() {
      this.closed++;
    },
  };
}

describe('transportOf', () => {
  it('makes a grpc-js transport for host:port and a gRPC-web one for a URL, and owns them', () => {
    const grpc = transportOf({ address: '127.0.0.1:7000' });
    const web = transportOf({ address: 'https://gateway.example' });
    expect([grpc.transport instanceof GrpcTransport, grpc.owned]).toEqual([true, true]);
    expect([web.transport instanceof GrpcWebTransport, web.owned]).toEqual([true, true]);
    grpc.transport.close();
  });

  it('uses a given transport without owning it, even with an address', () => {
    const transport = recordingTransport();
    expect(transportOf({ address: '127.0.0.1:7000', transport })).toEqual({
      transport,
      owned: false,
    });
  });

  it('refuses to guess without an address or a transport', () => {
    expect(() => transportOf({})).toThrow(
      new InvalidArgumentError('give an address (host:port or gateway URL) or a transport', {
        field: 'address',
      }),
    );
  });

  it('leaves a given transport open when the client closes', () => {
    const transport = recordingTransport();
    new KeyManagementClient(transport, nobleProvider).close();
    expect(transport.closed).toBe(0);
  });
});
