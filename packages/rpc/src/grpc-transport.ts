/**
 * The Node transport: unary calls over HTTP/2 gRPC with grpc-js, one channel per transport.
 * Failures reject with the ProofMessengerError decoded from the status by `fromServiceError`.
 * Requests and responses cross grpc-js as bytes (protobuf-es does the encoding), so any service's
 * methods can be called on one channel.
 */
import {
  type DescMessage,
  type DescMethodUnary,
  fromBinary,
  type MessageShape,
  toBinary,
} from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import type { CallOptions } from './call-options.ts';
import type { RpcTransport } from './rpc-transport.ts';
import { fromServiceError } from './status-mapper.ts';

function toMetadata(values: Readonly<Record<string, string>> | undefined): grpc.Metadata {
  const metadata = new grpc.Metadata();
  for (const [key, value] of Object.entries(values ?? {})) metadata.set(key, value);
  return metadata;
}

const serializeBytes = (bytes: Uint8Array): Buffer =>
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
// protobuf-es returns `bytes` fields as views of its input: decode from a plain view of grpc-js's
// Buffer so they stay plain Uint8Arrays (whose `slice` copies).
const deserializeBytes = (bytes: Buffer): Uint8Array =>
  new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);

/** Unary gRPC calls to one `host:port` over grpc-js. */
export class GrpcTransport implements RpcTransport {
  readonly #client: grpc.Client;

  /**
   * @param address `host:port`
   * @param credentials defaults to insecure (loopback and in-cluster mTLS-terminating meshes)
   */
  constructor(
    address: string,
    credentials: grpc.ChannelCredentials = grpc.credentials.createInsecure(),
    options?: grpc.ClientOptions,
  ) {
    this.#client = new grpc.Client(address, credentials, options);
  }

  unary<I extends DescMessage, O extends DescMessage>(
    method: DescMethodUnary<I, O>,
    request: MessageShape<I>,
    options: CallOptions = {},
  ): Promise<MessageShape<O>> {
    const path = `/${method.parent.typeName}/${method.name}`;
    return new Promise((resolve, reject) => {
      const callOptions: grpc.CallOptions =
        options.timeoutMs === undefined ? {} : { deadline: Date.now() + options.timeoutMs };
      const call = this.#client.makeUnaryRequest(
        path,
        serializeBytes,
        deserializeBytes,
        toBinary(method.input, request),
        toMetadata(options.metadata),
        callOptions,
        (error, response) => {
          options.signal?.removeEventListener('abort', cancel);
          if (error) {
            reject(fromServiceError(error));
            return;
          }
          if (response === undefined) {
            reject(new Error(`${method.localName} returned no response`));
            return;
          }
          try {
            resolve(fromBinary(method.output, response));
          } catch {
            reject(
              fromServiceError({
                code: grpc.status.INTERNAL,
                details: `response is not a valid ${method.output.typeName}`,
                metadata: new grpc.Metadata(),
              }),
            );
          }
        },
      );
      const cancel = () => call.cancel();
      if (options.signal?.aborted) call.cancel();
      else options.signal?.addEventListener('abort', cancel, { once: true });
    });
  }

  close(): void {
    this.#client.close();
  }
}
