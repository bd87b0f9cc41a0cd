/**
 * A grpc-js server for Proof-Messenger services. Every server also serves health (grpc.health.v1)
 * and reflection (v1 and v1alpha), bounds the request size (and opens HTTP/2 receive windows that
 * hold a whole request, see internal/receive-windows.ts), and runs each handler inside a wrapper
 * that routes every thrown error and rejected promise through the status mapper, so a handler can
 * neither leak an internal error to a client nor crash the process.
 *
 * Handlers are plain functions of the decoded request: unary ones return (or resolve to) the
 * response, server-streaming ones are async generators. Client- and bidi-streaming RPCs are not
 * supported yet; left unimplemented they answer UNIMPLEMENTED, as does any method a service omits.
 */
import { once } from 'node:events';
import {
  create,
  type DescMessage,
  type DescService,
  type Message,
  type MessageInitShape,
  type MessageShape,
  toBinary,
} from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import { type DecodedRequest, toGrpcMethodDefinition } from './grpc-service-definition.ts';
import { HealthService, healthReflectionDefinition, OVERALL_HEALTH } from './health.ts';
import { widenReceiveWindows } from './internal/receive-windows.ts';
import { createReflectionService } from './reflection.ts';
import { type ErrorLogger, toServiceError } from './status-mapper.ts';

/** What a handler knows about its call besides the request. */
export interface HandlerContext {
  /** Request headers. */
  readonly metadata: grpc.Metadata;
  /** The caller's address. */
  readonly peer: string;
  /** Aborted when the client cancels, the deadline passes or the server is forced down. */
  readonly signal: AbortSignal;
  /**
   * The request exactly as received (grpc-js server), for a handler that stores parts of it
   * as they came instead of encoding them again. Treat as read-only.
   */
  readonly requestBytes?: Uint8Array;
}

/** Handles a unary RPC. Throw (or reject with) a ProofMessengerError to answer with its status. */
export type UnaryHandler<I extends DescMessage, O extends DescMessage> = (
  request: MessageShape<I>,
  context: HandlerContext,
) => Promise<MessageInitShape<O>> | MessageInitShape<O>;

/** Handles a server-streaming RPC; each yielded value is one response. */
export type ServerStreamingHandler<I extends DescMessage, O extends DescMessage> = (
  request: MessageShape<I>,
  context: HandlerContext,
) => AsyncIterable<MessageInitShape<O>>;

/** Handlers for some or all methods of a service, keyed by `localName` (e.g. `verifyEnvelope`). */
export type ServiceImplementation<S extends DescService> = {
  readonly [K in keyof S['method']]?: Handler<S['method'][K]>;
};

type Handler<M> = M extends {
  readonly methodKind: 'unary';
  readonly input: infer I extends DescMessage;
  readonly output: infer O extends DescMessage;
}
  ? UnaryHandler<I, O>
  : M extends {
        readonly methodKind: 'server_streaming';
        readonly input: infer I extends DescMessage;
        readonly output: infer O extends DescMessage;
      }
    ? ServerStreamingHandler<I, O>
    : never;

/** A service and its implementation. */
export interface ServiceRegistration<S extends DescService> {
  readonly service: S;
  readonly implementation: ServiceImplementation<S>;
}

/** Options of `createGrpcServer`. */
export interface GrpcServerOptions<T extends readonly DescService[]> {
  readonly services: { readonly [K in keyof T]: ServiceRegistration<T[K]> };
  readonly log: ErrorLogger;
  /** Largest accepted request message, in bytes; larger ones fail with RESOURCE_EXHAUSTED. Default 4 MiB. */
  readonly maxReceiveMessageBytes?: number;
  /** How long `shutdown()` lets calls finish before cancelling them. Default 10 s. */
  readonly shutdownTimeoutMs?: number;
  /** Transport security. Default: insecure (plaintext), for use behind a TLS-terminating proxy. */
  readonly credentials?: grpc.ServerCredentials;
}

/** A running (or ready to run) gRPC server. */
export interface GrpcServer {
  /** Health statuses; services can mark themselves NOT_SERVING, e.g. when a dependency is down. */
  readonly health: HealthService;
  /** Binds `host:port` (port 0 picks a free one), marks all services SERVING, returns the port. */
  listen(host: string, port: number): Promise<number>;
  /**
   * Marks everything NOT_SERVING, stops accepting calls, waits up to the shutdown timeout for
   * calls in flight, then cancels the rest. Idempotent.
   */
  shutdown(): Promise<void>;
}

const DEFAULT_MAX_RECEIVE_MESSAGE_BYTES = 4 * 1024 * 1024;
const DEFAULT_SHUTDOWN_TIMEOUT_MS = 10_000;

/** Builds a server for `services`, plus health and reflection. Call `listen` to start it. */
export function createGrpcServer<const T extends readonly DescService[]>(
  options: GrpcServerOptions<T>,
): GrpcServer {
  const { log } = options;
  const maxReceiveMessageBytes =
    options.maxReceiveMessageBytes ?? DEFAULT_MAX_RECEIVE_MESSAGE_BYTES;
  const server = new grpc.Server({ 'grpc.max_receive_message_length': maxReceiveMessageBytes });
  widenReceiveWindows(server, maxReceiveMessageBytes);
  const registrations: readonly ServiceRegistration<DescService>[] = options.services;
  const services = registrations.map((registration) => registration.service);
  for (const { service, implementation } of registrations) {
    addService(server, service, implementation, log);
  }
  const health = new HealthService();
  health.addToServer(server);
  createReflectionService(services, healthReflectionDefinition()).addToServer(server);

  let shutdown: Promise<void> | undefined;
  return {
    health,
    listen: async (host, port) => {
      const bound = await bind(server, host, port, options.credentials);
      health.setStatus(OVERALL_HEALTH, 'SERVING');
      for (const service of services) health.setStatus(service.typeName, 'SERVING');
      return bound;
    },
    shutdown: () => {
      shutdown ??= drain(server, health, options.shutdownTimeoutMs ?? DEFAULT_SHUTDOWN_TIMEOUT_MS);
      return shutdown;
    },
  };
}

// The handlers grpc-js calls. Requests arrive as DecodedRequest (see grpc-service-definition.ts);
// responses leave as bytes the wrapper encoded, so encoding failures go through the status mapper.
type WireUnaryCall = grpc.ServerUnaryCall<DecodedRequest<Message>, Buffer>;
type WireStreamCall = grpc.ServerWritableStream<DecodedRequest<Message>, Buffer>;
type AnyUnaryHandler = (request: Message, context: HandlerContext) => unknown;
type AnyStreamingHandler = (request: Message, context: HandlerContext) => AsyncIterable<unknown>;

function addService(
  server: grpc.Server,
  service: DescService,
  implementation: ServiceImplementation<DescService>,
  log: ErrorLogger,
): void {
  // TypeScript flags a misspelt handler in an object literal, but not always elsewhere (a class, an
  // object built apart, plain JavaScript); catch it here rather than answer UNIMPLEMENTED in
  // production. Only own function-valued keys count: a class instance may hold its dependencies.
  for (const [name, value] of Object.entries(implementation)) {
    if (typeof value === 'function' && !(name in service.method)) {
      throw new Error(`${service.typeName} has no method ${name}`);
    }
  }
  for (const method of service.methods) {
    const found: unknown = implementation[method.localName];
    if (typeof found !== 'function') continue; // grpc-js answers UNIMPLEMENTED
    const handler: unknown = found.bind(implementation); // as grpc-js does: class instances work
    const { path, requestDeserialize } = toGrpcMethodDefinition(method);
    const sendBytes = (bytes: Buffer) => bytes;
    let registered: boolean;
    if (method.methodKind === 'unary') {
      const wrapped = wrapUnary(method.output, path, handler as AnyUnaryHandler, log);
      registered = server.register(path, wrapped, sendBytes, requestDeserialize, 'unary');
    } else if (method.methodKind === 'server_streaming') {
      const wrapped = wrapServerStreaming(method.output, path, handler as AnyStreamingHandler, log);
      registered = server.register(path, wrapped, sendBytes, requestDeserialize, 'serverStream');
    } else {
      throw new Error(`${path}: ${method.methodKind} handlers are not supported`);
    }
    if (!registered) throw new Error(`${path} is registered twice`);
  }
}

function wrapUnary(output: DescMessage, path: string, handler: AnyUnaryHandler, log: ErrorLogger) {
  return (call: WireUnaryCall, callback: grpc.sendUnaryData<Buffer>): void => {
    const context = contextOf(call);
    void (async () => {
      try {
        const response = await handler(requestOf(call.request), context);
        callback(null, encode(output, response));
      } catch (err) {
        callback(toServiceError(err, log, { method: path, peer: context.peer }));
      }
    })();
  };
}

function wrapServerStreaming(
  output: DescMessage,
  path: string,
  handler: AnyStreamingHandler,
  log: ErrorLogger,
) {
  return (call: WireStreamCall): void => {
    const context = contextOf(call);
    void (async () => {
      try {
        for await (const response of handler(requestOf(call.request), context)) {
          if (context.signal.aborted) return; // leaving the loop runs the generator's `finally`
          if (!call.write(encode(output, response))) {
            await once(call, 'drain', { signal: context.signal });
          }
        }
        call.end();
      } catch (err) {
        if (context.signal.aborted) return; // the client is gone; there is no one to answer
        call.emit('error', toServiceError(err, log, { method: path, peer: context.peer }));
      }
    })();
  };
}

function requestOf(decoded: DecodedRequest<Message>): Message {
  if (!decoded.ok) throw decoded.error;
  return decoded.message;
}

function contextOf(call: WireUnaryCall | WireStreamCall): HandlerContext {
  const controller = new AbortController();
  call.once('cancelled', () => controller.abort());
  return {
    metadata: call.metadata,
    peer: call.getPeer(),
    signal: controller.signal,
    ...(call.request.ok ? { requestBytes: call.request.bytes } : {}),
  };
}

function encode(schema: DescMessage, value: unknown): Buffer {
  // The handler types guarantee an init shape of `schema`; `create` fills in defaults.
  const bytes = toBinary(schema, create(schema, value as MessageInitShape<DescMessage>));
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function bind(
  server: grpc.Server,
  host: string,
  port: number,
  credentials = grpc.ServerCredentials.createInsecure(),
): Promise<number> {
  const address = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  return new Promise((resolve, reject) => {
    server.bindAsync(address, credentials, (error, bound) =>
      error
        ? reject(
            new Error(
              `cannot listen on ${address} (${error.message}); is another server on that port? Set PM_GRPC_PORT to another port`,
              { cause: error },
            ),
          )
        : resolve(bound),
    );
  });
}

function drain(server: grpc.Server, health: HealthService, timeoutMs: number): Promise<void> {
  health.shutdown();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, timeoutMs);
    server.tryShutdown(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
