/**
 * Everything the key-management handlers depend on, built once per process by
 * `key-management-server.ts` and overridable in tests (fixed clocks, in-process stores).
 */
import type { AccessTokens, Caller, CallerAuthenticator } from '@proof-messenger/auth';
import type { CryptoProvider } from '@proof-messenger/crypto';
import type { HandlerContext, Logger } from '@proof-messenger/rpc';
import type { KeyManagementConfig } from './config.ts';
import type { AuditLog } from './ports/audit-log.ts';
import type { EnrollmentStore } from './ports/enrollment-store.ts';
import type { IdentityStore } from './ports/identity-store.ts';
import type { NonceStore } from './ports/nonce-store.ts';
import type { PrekeyStore } from './ports/prekey-store.ts';
import type { SessionKeyStore } from './ports/session-key-store.ts';

/** The storage ports. */
export interface KeyManagementStores {
  readonly identities: IdentityStore;
  readonly enrollments: EnrollmentStore;
  readonly prekeys: PrekeyStore;
  readonly sessions: SessionKeyStore;
  readonly audit: AuditLog;
  readonly nonces: NonceStore;
}

export type { Logger } from '@proof-messenger/rpc';

export interface KeyManagementContext {
  readonly config: KeyManagementConfig;
  readonly provider: CryptoProvider;
  readonly stores: KeyManagementStores;
  readonly tokens: AccessTokens;
  readonly authenticator: CallerAuthenticator;
  readonly log: Logger;
  readonly now: () => number;
}

/** Resolves the caller of a gRPC call from its `authorization` metadata. */
export function callerOf(ctx: KeyManagementContext, call: HandlerContext): Promise<Caller> {
  const value = call.metadata.get('authorization')[0];
  return ctx.authenticator.authenticate(typeof value === 'string' ? value : undefined);
}
