/**
 * Everything the key-management handlers depend on, built once per process by
 * `key-management-module.ts` and overridable in tests (fixed clocks, in-process stores). The
 * audit sink, authorizer and rate limiter come from the process's Governance, shared with the
 * other services in the embedded platform.
 */
import type { AuditSink } from '@proof-messenger/audit-log';
import type { AccessTokens, Caller, CallerAuthenticator } from '@proof-messenger/auth';
import type { CryptoProvider } from '@proof-messenger/crypto';
import type { Authorizer } from '@proof-messenger/policy';
import type { RateLimiter } from '@proof-messenger/rate-limit';
import type { HandlerContext, Logger } from '@proof-messenger/rpc';
import type { KeyManagementConfig } from './config.ts';
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
  readonly nonces: NonceStore;
}

export type { Logger } from '@proof-messenger/rpc';

export interface KeyManagementContext {
  readonly config: KeyManagementConfig;
  readonly provider: CryptoProvider;
  readonly stores: KeyManagementStores;
  readonly tokens: AccessTokens;
  readonly authenticator: CallerAuthenticator;
  /** The verifiable audit log (batched; recording never blocks or fails a call). */
  readonly audit: AuditSink;
  /** Decides RevokeKey, RotateIdentityKey and IssueEnrollmentCredential. */
  readonly authorizer: Authorizer;
  readonly rateLimiter: RateLimiter;
  readonly log: Logger;
  readonly now: () => number;
}

/**
 * Whether `caller` acts on keys that are not its own (an operator, or an agent a written policy
 * lets manage others' keys): such calls are administration and spend the `admin` rate limit.
 */
export function onOthersKeys(caller: Caller, agentId: string): boolean {
  return caller.kind !== 'agent' || caller.agentId !== agentId;
}

/** Resolves the caller of a gRPC call from its `authorization` metadata. */
export function callerOf(ctx: KeyManagementContext, call: HandlerContext): Promise<Caller> {
  const value = call.metadata.get('authorization')[0];
  return ctx.authenticator.authenticate(typeof value === 'string' ? value : undefined);
}
