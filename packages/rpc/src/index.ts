/**
 * gRPC plumbing shared by every Proof-Messenger service and the SDK: the protobuf-es to grpc-js
 * adapter, the one error-to-status mapper, health, reflection and a server factory.
 */

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
export type { ServingStatus } from './health.ts';
export { HealthService, OVERALL_HEALTH } from './health.ts';
export type { Logger } from './logger.ts';
export { jsonLogger, silentLogger } from './logger.ts';
export type { CallOptions, RequestInit, ResponseOf, UnaryMethodName } from './promise-client.ts';
export { PromiseClient } from './promise-client.ts';
export type { ReflectionPackageDefinition } from './reflection.ts';
export { createReflectionService } from './reflection.ts';
export type { RunnableService } from './run-service.ts';
export { runService } from './run-service.ts';
export type { ModuleHost, ModuleHostOptions, ServiceModule } from './service-module.ts';
export { hostModules } from './service-module.ts';
export type { ErrorLogger } from './status-mapper.ts';
export {
  fromServiceError,
  INTERNAL_MESSAGE,
  STATUS_DETAILS_KEY,
  toServiceError,
} from './status-mapper.ts';
