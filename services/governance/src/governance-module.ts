/**
 * The governance APIs as a service module (see `ServiceModule` in @proof-messenger/rpc):
 * PolicyService and AuditService over one process's Governance. The embedded platform passes the
 * Governance it shares with the other services (and closes it itself); the standalone process
 * opens its own on PostgreSQL and Redis.
 */
import { type CryptoProvider, defaultProvider } from '@proof-messenger/crypto';
import { type KeySource, peerAuthentication } from '@proof-messenger/key-directory';
import { AuditService, PolicyService } from '@proof-messenger/proto';
import { jsonLogger, type Logger, type ServiceModule } from '@proof-messenger/rpc';
import { auditImplementation } from './audit-service.ts';
import type { GovernanceServiceConfig } from './config.ts';
import type { GovernanceContext } from './context.ts';
import { type Governance, openGovernance } from './governance.ts';
import { policyImplementation } from './policy-service.ts';

/** What the platform and tests may pass instead of what config would open. */
export interface GovernanceModuleOverrides {
  readonly provider?: CryptoProvider;
  readonly now?: () => number;
  readonly log?: Logger;
  readonly keySource?: KeySource;
  /** A Governance owned by the caller (not closed by this module). */
  readonly governance?: Governance;
}

export interface GovernanceModule extends ServiceModule {
  readonly context: GovernanceContext;
  readonly governance: Governance;
}

/** Builds the governance service for `config`; nothing is served yet. */
export async function createGovernanceModule(
  config: GovernanceServiceConfig,
  overrides: GovernanceModuleOverrides = {},
): Promise<GovernanceModule> {
  const log = overrides.log ?? jsonLogger('governance');
  const now = overrides.now ?? Date.now;
  const provider = overrides.provider ?? defaultProvider();
  const owned = overrides.governance === undefined;
  const governance =
    overrides.governance ?? (await openGovernance(config.governance, { log, now, provider }));
  const peers = peerAuthentication(config, provider, now, overrides.keySource);
  const context: GovernanceContext = {
    trail: governance.trail,
    policies: governance.policies,
    authorizer: governance.authorizer,
    audit: governance.audit,
    authenticator: peers.authenticator,
    log,
    checkpointIntervalMs: governance.checkpointIntervalMs,
  };
  return {
    name: 'governance',
    context,
    governance,
    services: [
      { service: PolicyService, implementation: policyImplementation(context) },
      { service: AuditService, implementation: auditImplementation(context) },
    ],
    // Policy texts may be up to 1 MiB.
    maxReceiveMessageBytes: 2 * 1024 * 1024,
    async start() {
      if (owned) await governance.start();
    },
    async close() {
      peers.close();
      if (owned) await governance.close();
    },
  };
}
