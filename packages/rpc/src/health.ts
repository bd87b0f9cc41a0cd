/**
 * The standard gRPC health service, grpc.health.v1.Health with Check, Watch and List
 * (https://github.com/grpc/grpc/blob/master/doc/health-checking.md), served by the grpc team's
 * `grpc-health-check` package. Statuses are kept per fully qualified service name; "" is the
 * server as a whole. A name never set answers NOT_FOUND to Check.
 *
 * Caveat: an open Watch is a live call, so it holds a graceful shutdown open; the server's
 * shutdown timeout bounds how long (grpc-go behaves the same way).
 */
import type * as grpc from '@grpc/grpc-js';
import type { ReflectionService } from '@grpc/reflection';
import { HealthImplementation, service as healthServiceDefinition } from 'grpc-health-check';

/** The statuses a service can be set to. */
export type ServingStatus = 'SERVING' | 'NOT_SERVING';

/** The service name that stands for the whole server. */
export const OVERALL_HEALTH = '';

/** Health statuses of one server, served over grpc.health.v1.Health. */
export class HealthService {
  readonly #implementation = new HealthImplementation();
  readonly #statuses = new Map<string, ServingStatus>();
  #shutDown = false;

  /** Sets the status of `service` ("" for the whole server). Ignored once `shutdown()` ran. */
  setStatus(service: string, status: ServingStatus): void {
    if (this.#shutDown) return;
    this.#statuses.set(service, status);
    this.#implementation.setStatus(service, status);
  }

  /** The status of `service`, or undefined when it was never set. */
  status(service: string): ServingStatus | undefined {
    return this.#statuses.get(service);
  }

  /**
   * Marks every known service NOT_SERVING for good, so load balancers and watchers stop sending
   * traffic before the listener closes. Later `setStatus` calls are ignored (like grpc-go), so a
   * background dependency check cannot flip a draining server back to SERVING.
   */
  shutdown(): void {
    for (const service of this.#statuses.keys()) this.setStatus(service, 'NOT_SERVING');
    this.#shutDown = true;
  }

  /** Registers grpc.health.v1.Health on `server`. */
  addToServer(server: grpc.Server): void {
    this.#implementation.addToServer(server);
  }
}

/**
 * The descriptors of grpc.health.v1, in the shape reflection takes, so tools such as grpcurl can
 * call Health through reflection as well.
 */
export function healthReflectionDefinition(): ConstructorParameters<typeof ReflectionService>[0] {
  const check = healthServiceDefinition.Check;
  return check === undefined ? {} : { 'grpc.health.v1.HealthCheckRequest': check.requestType };
}
