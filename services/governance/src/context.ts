/**
 * Everything the PolicyService and AuditService handlers depend on, built once per process by
 * `governance-module.ts` and overridable in tests.
 */
import type { AuditSink, AuditTrail } from '@proof-messenger/audit-log';
import type { Caller, CallerAuthenticator } from '@proof-messenger/auth';
import type { Authorizer, PolicyAction, PolicyAdministration } from '@proof-messenger/policy';
import { authorizeOrThrow, PLATFORM } from '@proof-messenger/policy';
import type { HandlerContext, Logger } from '@proof-messenger/rpc';
import { principalOf } from './principal.ts';

export interface GovernanceContext {
  readonly trail: AuditTrail;
  readonly policies: PolicyAdministration;
  readonly authorizer: Authorizer;
  readonly audit: AuditSink;
  readonly authenticator: CallerAuthenticator;
  readonly log: Logger;
  /** How often checkpoints are signed (told to callers waiting for one). */
  readonly checkpointIntervalMs: number;
}

/** Resolves the caller of a gRPC call from its `authorization` metadata. */
export function callerOf(ctx: GovernanceContext, call: HandlerContext): Promise<Caller> {
  const value = call.metadata.get('authorization')[0];
  return ctx.authenticator.authenticate(typeof value === 'string' ? value : undefined);
}

/**
 * Authenticates the caller and asks the policy engine whether it may do the platform-wide
 * `action`; resolves to the caller.
 * @throws UnauthenticatedError, PolicyDeniedError
 */
export async function authorizedCaller(
  ctx: GovernanceContext,
  call: HandlerContext,
  action: PolicyAction,
  what: string,
): Promise<Caller> {
  const caller = await callerOf(ctx, call);
  await authorizeOrThrow(
    ctx.authorizer,
    { principal: principalOf(caller), action, resource: PLATFORM },
    what,
  );
  return caller;
}
