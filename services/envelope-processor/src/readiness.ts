/**
 * Readiness: the service reports SERVING on grpc.health.v1 only while its dependencies answer (the
 * replay-guard database and the queue). A probe runs every few seconds; a failing dependency turns
 * the overall status and the EnvelopeProcessorService status to NOT_SERVING, so a load balancer or
 * Kubernetes stops routing to this instance until it recovers.
 */
import { EnvelopeProcessorService } from '@proof-messenger/proto';
import type { MessageQueue } from '@proof-messenger/queue';
import {
  type HealthService,
  type Logger,
  OVERALL_HEALTH,
  type ServingStatus,
} from '@proof-messenger/rpc';
import type { SqlDatabase } from '@proof-messenger/storage';

export class Readiness {
  readonly #health: HealthService;
  readonly #db: SqlDatabase;
  readonly #queue: MessageQueue;
  readonly #log: Logger;
  #timer: NodeJS.Timeout | undefined;
  #status: ServingStatus = 'SERVING';

  constructor(health: HealthService, db: SqlDatabase, queue: MessageQueue, log: Logger) {
    this.#health = health;
    this.#db = db;
    this.#queue = queue;
    this.#log = log;
  }

  /** Checks every dependency once and publishes the result. */
  async probe(): Promise<ServingStatus> {
    let status: ServingStatus = 'SERVING';
    try {
      await this.#db.query('SELECT 1');
      await this.#queue.depth('health-probe');
    } catch (error) {
      status = 'NOT_SERVING';
      if (this.#status === 'SERVING')
        this.#log.warn({ err: error }, 'a dependency is not answering; reporting NOT_SERVING');
    }
    if (status === 'SERVING' && this.#status === 'NOT_SERVING')
      this.#log.info({}, 'dependencies answer again; reporting SERVING');
    this.#status = status;
    this.#health.setStatus(OVERALL_HEALTH, status);
    this.#health.setStatus(EnvelopeProcessorService.typeName, status);
    return status;
  }

  start(intervalMs: number): void {
    if (this.#timer !== undefined || intervalMs <= 0) return;
    this.#timer = setInterval(() => void this.probe(), intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
