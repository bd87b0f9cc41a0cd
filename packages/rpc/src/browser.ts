/**
 * The browser-safe part of `@proof-messenger/rpc`: typed clients over a transport, the gRPC-web
 * transport, and the status decoder. Nothing here imports grpc-js or a `node:` module. Bundlers
 * pick it for `@proof-messenger/rpc` through the package's `browser` export condition, and it is
 * also reachable as `@proof-messenger/rpc/browser`.
 */

export type { CallOptions } from './call-options.ts';
export type { GrpcWebFailure, GrpcWebTransportOptions } from './grpc-web-transport.ts';
export { GrpcWebTransport } from './grpc-web-transport.ts';
export type { RpcTransport } from './rpc-transport.ts';
export type { RequestInit, ResponseOf, UnaryMethodName } from './service-client.ts';
export { ServiceClient } from './service-client.ts';
export type { WireStatus } from './status-decoder.ts';
export { decodeStatus, fromStatus, STATUS_DETAILS_KEY } from './status-decoder.ts';
export { webTransportFor as transportFor } from './web-transport-for.ts';
