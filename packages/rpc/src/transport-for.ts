/**
 * The transport an address stands for, in Node: `http(s)://…` is a gRPC-web gateway (fetch),
 * anything else a `host:port` of a gRPC server (grpc-js). The browser entry (browser.ts) has its
 * own `transportFor`, which takes URLs only.
 */
import { GrpcTransport } from './grpc-transport.ts';
import { GrpcWebTransport } from './grpc-web-transport.ts';
import type { RpcTransport } from './rpc-transport.ts';

/** A new transport for `address` (`host:port` or a gateway URL). */
export function transportFor(address: string): RpcTransport {
  return /^https?:\/\//i.test(address)
    ? new GrpcWebTransport({ baseUrl: address })
    : new GrpcTransport(address);
}
