/**
 * Adapts protobuf-es v2 service descriptors to grpc-js service definitions, so the generated code in
 * `@proof-messenger/proto` stays the only description of the wire contract (no proto-loader, no
 * second code generator). Paths follow the gRPC HTTP/2 protocol: `/<package>.<Service>/<Method>`.
 *
 * Caveat: grpc-js answers a throwing request deserializer with INTERNAL, but bytes that do not decode
 * are the caller's fault. The request deserializer therefore never throws; it returns a
 * `DecodedRequest`, and the handler wrapper in `grpc-server.ts` answers a failure with
 * INVALID_ARGUMENT.
 */
import {
  create,
  type DescMessage,
  type DescMethod,
  type DescService,
  fromBinary,
  type MessageInitShape,
  type MessageShape,
  toBinary,
} from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import { InvalidArgumentError } from '@proof-messenger/errors';

/**
 * What the request deserializer yields: the decoded message (with the bytes it came from), or why
 * the bytes did not decode.
 */
export type DecodedRequest<T> =
  | { readonly ok: true; readonly message: T; readonly bytes: Uint8Array }
  | { readonly ok: false; readonly error: InvalidArgumentError };

/** One RPC as grpc-js sees it. Serializers accept init shapes and fill in defaults. */
export interface GrpcMethodDefinition<I extends DescMessage, O extends DescMessage> {
  readonly path: string;
  readonly originalName: string;
  readonly requestStream: boolean;
  readonly responseStream: boolean;
  readonly requestSerialize: (value: MessageInitShape<I>) => Buffer;
  readonly requestDeserialize: (bytes: Buffer) => DecodedRequest<MessageShape<I>>;
  readonly responseSerialize: (value: MessageInitShape<O>) => Buffer;
  /** Throws on bytes that do not decode; grpc-js turns that into INTERNAL on the client. */
  readonly responseDeserialize: (bytes: Buffer) => MessageShape<O>;
}

/** A whole service as grpc-js sees it, keyed by each method's `localName` (e.g. `verifyEnvelope`). */
export type GrpcServiceDefinition<S extends DescService> = {
  readonly [K in keyof S['method']]: GrpcMethodDefinition<
    S['method'][K]['input'],
    S['method'][K]['output']
  >;
};

/**
 * Adapts a protobuf-es service descriptor (e.g. `EnvelopeProcessorService`) to a grpc-js
 * `ServiceDefinition`, usable with `Server.addService` and `makeGenericClientConstructor`.
 */
export function toGrpcServiceDefinition<S extends DescService>(
  service: S,
): GrpcServiceDefinition<S> & grpc.ServiceDefinition {
  const definition: Record<string, GrpcMethodDefinition<DescMessage, DescMessage>> = {};
  for (const method of service.methods) {
    definition[method.localName] = toGrpcMethodDefinition(method);
  }
  // The loop builds exactly the mapped type; TypeScript cannot follow a loop over `methods`.
  return definition as GrpcServiceDefinition<S> & grpc.ServiceDefinition;
}

/** Adapts one RPC descriptor. */
export function toGrpcMethodDefinition<I extends DescMessage, O extends DescMessage>(
  method: DescMethod & { readonly input: I; readonly output: O },
): GrpcMethodDefinition<I, O> {
  const { input, output } = method;
  return {
    path: `/${method.parent.typeName}/${method.name}`,
    originalName: method.name,
    requestStream:
      method.methodKind === 'client_streaming' || method.methodKind === 'bidi_streaming',
    responseStream:
      method.methodKind === 'server_streaming' || method.methodKind === 'bidi_streaming',
    requestSerialize: (value) => encode(input, value),
    requestDeserialize: (bytes) => {
      try {
        const raw = plain(bytes);
        return { ok: true, message: fromBinary(input, raw), bytes: raw };
      } catch (cause) {
        const error = new InvalidArgumentError(`request body is not a valid ${input.typeName}`, {
          cause,
        });
        return { ok: false, error };
      }
    },
    responseSerialize: (value) => encode(output, value),
    responseDeserialize: (bytes) => fromBinary(output, plain(bytes)),
  };
}

/** A grpc-js client whose methods are typed after the service's descriptor. */
export type GrpcClient<S extends DescService> = grpc.Client & {
  readonly [K in keyof S['method']]: ClientMethod<S['method'][K]>;
};

/** Constructor returned by `makeGrpcClient`. */
export type GrpcClientConstructor<S extends DescService> = new (
  address: string,
  credentials: grpc.ChannelCredentials,
  options?: grpc.ClientOptions,
) => GrpcClient<S>;

/** A unary client method in grpc-js's callback style. */
export interface UnaryClientMethod<I extends DescMessage, O extends DescMessage> {
  (
    request: MessageInitShape<I>,
    callback: grpc.requestCallback<MessageShape<O>>,
  ): grpc.ClientUnaryCall;
  (
    request: MessageInitShape<I>,
    metadata: grpc.Metadata,
    callback: grpc.requestCallback<MessageShape<O>>,
  ): grpc.ClientUnaryCall;
  (
    request: MessageInitShape<I>,
    metadata: grpc.Metadata,
    options: Partial<grpc.CallOptions>,
    callback: grpc.requestCallback<MessageShape<O>>,
  ): grpc.ClientUnaryCall;
}

/** A server-streaming client method in grpc-js's style. */
export type ServerStreamingClientMethod<I extends DescMessage, O extends DescMessage> = (
  request: MessageInitShape<I>,
  metadata?: grpc.Metadata,
  options?: Partial<grpc.CallOptions>,
) => grpc.ClientReadableStream<MessageShape<O>>;

// Client- and bidi-streaming RPCs are not typed (the contract has none yet).
type ClientMethod<M> = M extends {
  readonly methodKind: 'unary';
  readonly input: infer I extends DescMessage;
  readonly output: infer O extends DescMessage;
}
  ? UnaryClientMethod<I, O>
  : M extends {
        readonly methodKind: 'server_streaming';
        readonly input: infer I extends DescMessage;
        readonly output: infer O extends DescMessage;
      }
    ? ServerStreamingClientMethod<I, O>
    : never;

/**
 * Builds a grpc-js client constructor for a service, e.g.
 * `new (makeGrpcClient(EnvelopeProcessorService))('127.0.0.1:7000', grpc.credentials.createInsecure())`.
 * Errors reach callbacks as grpc-js `ServiceError`s; `fromServiceError` decodes them.
 */
export function makeGrpcClient<S extends DescService>(service: S): GrpcClientConstructor<S> {
  const clientClass = grpc.makeGenericClientConstructor(
    toGrpcServiceDefinition(service),
    service.typeName,
  );
  // grpc-js types generated methods as `Function`; the definition fixes their real signatures.
  return clientClass as unknown as GrpcClientConstructor<S>;
}

// protobuf-es returns `bytes` fields as views of its input. Decoding from a plain view of grpc-js's
// Buffer keeps them plain Uint8Arrays, whose `slice` copies (Buffer's `slice` shares memory).
function plain(bytes: Buffer): Uint8Array {
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function encode<D extends DescMessage>(schema: D, value: MessageInitShape<D>): Buffer {
  const bytes = toBinary(schema, create(schema, value));
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
