/**
 * gRPC plumbing shared by every Proof-Messenger service and the SDK: the protobuf-es to grpc-js
 * adapter, the one error-to-status mapper, health, reflection and a server factory.
 */

export type { CallOptions } from './call-options.ts';
export { envInteger } from './env-integer.ts';
export type {
  GrpcServer,
  GrpcServerOptions,
  HandlerContext,
  ServerStreamingHandler,
  ServiceImplementation,
  ServiceRegistration,
  UnaryHandler,
} from './grpc-server.ts';
export { createGrpcServer } from './grpc-server.ts';
export type {
  DecodedRequest,
  GrpcClient,
  GrpcClientConstructor,
  GrpcMethodDefinition,
  GrpcServiceDefinition,
  ServerStreamingClientMethod,
  UnaryClientMethod,
} from './grpc-service-definition.ts';
export { makeGrpcClient, toGrpcServiceDefinition } from './grpc-service-definition.ts';
export { GrpcTransport } from './grpc-transport.ts';
export type { GrpcWebHandler, GrpcWebHandlerOptions } from './grpc-web-handler.ts';
export { createGrpcWebHandler, DEFAULT_MAX_REQUEST_BYTES } from './grpc-web-handler.ts';
export type { GrpcWebProxy, GrpcWebProxyOptions } from './grpc-web-proxy.ts';
export { createGrpcWebProxy } from './grpc-web-proxy.ts';
export type { GrpcWebFailure, GrpcWebTransportOptions } from './grpc-web-transport.ts';
export { GrpcWebTransport } from './grpc-web-transport.ts';
export type { ServingStatus } from './health.ts';
export { HealthService, OVERALL_HEALTH } from './health.ts';
export type { Logger } from './logger.ts';
export { jsonLogger, silentLogger } from './logger.ts';
export { PromiseClient } from './promise-client.ts';
export type { ReflectionPackageDefinition } from './reflection.ts';
export { createReflectionService } from './reflection.ts';
export type { RpcTransport } from './rpc-transport.ts';
export type { RunnableService } from './run-service.ts';
export { runService } from './run-service.ts';
export type { RequestInit, ResponseOf, UnaryMethodName } from './service-client.ts';
export { ServiceClient } from './service-client.ts';
export type { ModuleHost, ModuleHostOptions, ServiceModule } from './service-module.ts';
export { hostModules } from './service-module.ts';
export type { WireStatus } from './status-decoder.ts';
export { decodeStatus, fromStatus } from './status-decoder.ts';
export type { ErrorLogger } from './status-mapper.ts';
export {
  fromServiceError,
  INTERNAL_MESSAGE,
  STATUS_DETAILS_KEY,
  toServiceError,
  toStatus,
} from './status-mapper.ts';
export { transportFor } from './transport-for.ts';
