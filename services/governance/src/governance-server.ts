/**
 * The governance service as its own process (distributed mode): PolicyService and AuditService
 * on PostgreSQL and Redis, signing audit checkpoints with the key in PM_AUDIT_KEY_FILE.
 */
import { hostModules } from '@proof-messenger/rpc';
import type { GovernanceServiceConfig } from './config.ts';
import {
  createGovernanceModule,
  type GovernanceModule,
  type GovernanceModuleOverrides,
} from './governance-module.ts';

export interface GovernanceServer {
  readonly module: GovernanceModule;
  start(): Promise<number>;
  destroy(): Promise<void>;
}

/** Builds the service for `config`; nothing listens until start(). */
export async function createGovernanceServer(
  config: GovernanceServiceConfig,
  overrides: GovernanceModuleOverrides = {},
): Promise<GovernanceServer> {
  const module = await createGovernanceModule(config, overrides);
  const log = module.context.log;
  const host = hostModules([module], { host: config.host, port: config.port, log });
  return {
    module,
    async start() {
      const port = await host.start();
      log.info({ host: config.host, port }, 'governance listening');
      return port;
    },
    destroy: () => host.destroy(),
  };
}
