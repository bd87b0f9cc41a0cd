/**
 * The transport an address stands for where there is no grpc-js (browsers): only gRPC-web
 * gateway URLs. Exported as `transportFor` by browser.ts, so code written against the package
 * (the SDK's clients) turns an `address` into a transport the same way on every platform.
 */
import { InvalidArgumentError } from '@proof-messenger/errors';
import { GrpcWebTransport } from './grpc-web-transport.ts';
import type { RpcTransport } from './rpc-transport.ts';

/**
 * A GrpcWebTransport for a gateway URL.
 * @throws InvalidArgumentError for a `host:port` (plain gRPC needs grpc-js, which browsers lack)
 */
export function webTransportFor(address: string): RpcTransport {
  if (/^https?:\/\//i.test(address)) return new GrpcWebTransport({ baseUrl: address });
  throw new InvalidArgumentError(
    `"${address}" is a gRPC address; in a browser, give the URL of a gRPC-web gateway (http(s)://…) or a transport`,
    { field: 'address' },
  );
}
