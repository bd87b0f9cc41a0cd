export type {
  AuthorizationRequest,
  Authorizer,
  ChannelAttributes,
  ChannelPolicyName,
  Decision,
  EntityRef,
  EntityType,
  PolicyAction,
} from './authorizer.ts';
export {
  authorizeOrThrow,
  describeEntity,
  PLATFORM,
  PLATFORM_ID,
  POLICY_ACTIONS,
} from './authorizer.ts';
export type { AuthorizerStats, CedarAuthorizerOptions, LoadedPolicy } from './cedar-authorizer.ts';
export { CedarAuthorizer, failOpenFromEnv } from './cedar-authorizer.ts';
export type { CedarEngine } from './cedar-engine.ts';
export { cedarVersion, wasmCedarEngine } from './cedar-engine.ts';
export type {
  ActivePolicyVersion,
  PolicyAdministrationOptions,
  PolicyValidation,
  PublishInput,
} from './policy-administration.ts';
export {
  LOCKOUT_PROBE_OPERATOR,
  MAX_COMMENT_CHARS,
  MAX_POLICY_BYTES,
  PolicyAdministration,
} from './policy-administration.ts';
export type { PolicyChangeSource } from './policy-change-source.ts';
export { POLICY_CHANGED_CHANNEL } from './policy-change-source.ts';
export { PolicyLockoutError } from './policy-lockout-error.ts';
export type { PolicyLogger } from './policy-logger.ts';
export { SILENT_POLICY_LOGGER } from './policy-logger.ts';
export type {
  ActivePolicyPointer,
  PolicyDraft,
  PolicyStore,
  PolicyVersionPage,
  PolicyVersionRecord,
  PolicyVersionSummary,
} from './policy-store.ts';
export { loadDefaultPolicy, loadPolicySchema } from './policy-texts.ts';
export type { PolicyWatcherOptions } from './policy-watcher.ts';
export { PolicyWatcher } from './policy-watcher.ts';
export { migratePolicyStore, policyMigrations, SqlPolicyStore } from './sql-policy-store.ts';
