/**
 * A promise-based client for a Proof-Messenger service at a `host:port`, over grpc-js:
 * `await client.call('getIdentity', request)`. It is a ServiceClient on a GrpcTransport; failures
 * reject with the ProofMessengerError decoded from the status (code, reason, field, retryable),
 * never with a raw grpc-js error, so callers branch on typed errors. Every call can carry metadata
 * (the SDK's `authorization`), a deadline and an AbortSignal.
 */
import type { DescService } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import { GrpcTransport } from './grpc-transport.ts';
import { ServiceClient } from './service-client.ts';

/** A typed, promise-based client of one service at one address. */
export class PromiseClient<S extends DescService> extends ServiceClient<S> {
  /**
   * @param address `host:port`
   * @param credentials defaults to insecure (loopback and in-cluster mTLS-terminating meshes)
   */
  constructor(
    service: S,
    address: string,
    credentials: grpc.ChannelCredentials = grpc.credentials.createInsecure(),
    options?: grpc.ClientOptions,
  ) {
    super(service, new GrpcTransport(address, credentials, options));
  }
}
