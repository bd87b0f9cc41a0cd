export type { AccessTokenClaims } from './access-tokens.ts';
export { AccessTokens } from './access-tokens.ts';
export type { AgentCaller, Caller, OperatorCaller } from './caller.ts';
export { callerName, requireAgent, requireOperator, requireSelf } from './caller.ts';
export type { CallerAuthenticatorOptions, KeyActiveCheck } from './caller-authenticator.ts';
export { CallerAuthenticator } from './caller-authenticator.ts';
export type { ServiceSecrets } from './local-secrets.ts';
export {
  loadOrCreateOperatorCredential,
  loadOrCreateTokenSecret,
  resolveServiceSecrets,
} from './local-secrets.ts';
export { OperatorCredentials } from './operator-credentials.ts';
