/**
 * The key-management service as a process-sized unit: `createKeyManagementServer(config)` builds
 * the module (stores, secrets, authenticator, rotation scheduler) and a gRPC server for it alone;
 * `start()` listens and starts the scheduler, `destroy()` drains calls, stops the scheduler and
 * closes the stores. `main.ts` only reads config and calls these.
 */
import type { Governance } from '@proof-messenger/governance';
import { hostModules } from '@proof-messenger/rpc';
import type { KeyManagementConfig } from './config.ts';
import type { KeyManagementContext } from './context.ts';
import { createKeyManagementModule, type KeyManagementOverrides } from './key-management-module.ts';
import type { RotationScheduler } from './rotation-scheduler.ts';

export interface KeyManagementServer {
  readonly context: KeyManagementContext;
  readonly scheduler: RotationScheduler;
  /** The policy engine, rate limiter and audit log (this server's own unless one was passed in). */
  readonly governance: Governance;
  /** Listens on config.host:config.port (0 picks a free port); resolves to the bound port. */
  start(): Promise<number>;
  /** Stops serving (graceful, then forced), stops the scheduler, closes the stores and governance. */
  destroy(): Promise<void>;
}

/** Builds the service for `config`; nothing listens until start(). */
export async function createKeyManagementServer(
  config: KeyManagementConfig,
  overrides: KeyManagementOverrides = {},
): Promise<KeyManagementServer> {
  const module = await createKeyManagementModule(config, overrides);
  const log = module.context.log;
  const host = hostModules([module], { host: config.host, port: config.port, log });
  return {
    context: module.context,
    scheduler: module.scheduler,
    governance: module.governance,
    async start() {
      const port = await host.start();
      log.info(
        {
          host: config.host,
          port,
          mode: config.databaseUrl === undefined ? 'embedded' : 'distributed',
        },
        'key-management listening',
      );
      return port;
    },
    destroy: () => host.destroy(),
  };
}
