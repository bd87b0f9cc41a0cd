export {
  fromAuditEntryMessage,
  fromCheckpointMessage,
  fromPublicKeyMessage,
  toAuditEntryMessage,
  toCheckpointMessage,
  toPublicKeyMessage,
} from './audit-messages.ts';
export type { GovernanceServiceConfig } from './config.ts';
export { loadConfig } from './config.ts';
export type { GovernanceContext } from './context.ts';
export type { Governance, GovernanceOverrides } from './governance.ts';
export { openGovernance } from './governance.ts';
export type { GovernanceConfig } from './governance-config.ts';
export { loadGovernanceConfig } from './governance-config.ts';
export type { GovernanceModule, GovernanceModuleOverrides } from './governance-module.ts';
export { createGovernanceModule } from './governance-module.ts';
export type { GovernanceServer } from './governance-server.ts';
export { createGovernanceServer } from './governance-server.ts';
export { principalOf } from './principal.ts';
