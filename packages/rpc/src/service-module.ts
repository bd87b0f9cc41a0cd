/**
 * A service as a part that can share a gRPC server: its registrations plus the background work and
 * storage that live beside them. Each service process serves one module on its own port; the
 * embedded platform serves several on one port, in one process, through the same code.
 *
 * Lifecycle: the host builds one server from every module's registrations, listens, then calls
 * each module's `start` with the server's health service (so a module can report NOT_SERVING
 * while a dependency is down). `destroy` first stops serving (draining calls in flight), then
 * closes the modules in reverse order, so no handler runs against closed storage.
 */
import type { DescService } from '@bufbuild/protobuf';
import { createGrpcServer, type ServiceRegistration } from './grpc-server.ts';
import type { HealthService } from './health.ts';
import type { Logger } from './logger.ts';

/** One service's share of a server. */
export interface ServiceModule {
  /** Short name for logs, e.g. `key-management`. */
  readonly name: string;
  readonly services: readonly ServiceRegistration<DescService>[];
  /** Largest request this module accepts, in bytes (the host takes the largest of its modules). */
  readonly maxReceiveMessageBytes: number;
  /** Starts background work once the server listens. */
  start(health: HealthService): Promise<void>;
  /** Stops background work and closes storage; the server has stopped serving by then. */
  close(): Promise<void>;
}

/** Where and how to serve modules. */
export interface ModuleHostOptions {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly log: Logger;
}

/** A server for one or more modules. */
export interface ModuleHost {
  readonly health: HealthService;
  /** Listens, starts every module, resolves to the bound port. */
  start(): Promise<number>;
  /** Drains and stops the server, then closes the modules (also when start never ran). Idempotent. */
  destroy(): Promise<void>;
}

/** Builds one gRPC server (with health and reflection) serving `modules`. */
export function hostModules(
  modules: readonly ServiceModule[],
  options: ModuleHostOptions,
): ModuleHost {
  const server = createGrpcServer({
    services: modules.flatMap((module) => module.services),
    log: options.log,
    maxReceiveMessageBytes: Math.max(...modules.map((module) => module.maxReceiveMessageBytes)),
  });
  let listening = false;
  let destroyed: Promise<void> | undefined;
  const closeAll = async () => {
    if (listening) await server.shutdown();
    for (const module of [...modules].reverse()) await module.close();
  };
  return {
    health: server.health,
    async start() {
      const port = await server.listen(options.host, options.port);
      listening = true;
      for (const module of modules) {
        await module.start(server.health);
      }
      return port;
    },
    destroy() {
      destroyed ??= closeAll();
      return destroyed;
    },
  };
}
