/**
 * RevokeKey: revokes one identity key or the whole identity, with a reason. Who may is the
 * policy's decision (action RevokeKey on Agent::"<agentId>"; the default permits the agent itself
 * and operators); revoking another agent's keys spends the caller's `admin` rate limit. Takes
 * effect at once for new messages; the cached view other services read expires within the
 * documented cache bound (PM_IDENTITY_CACHE_TTL_MS) and is invalidated on write.
 */
import { AUDIT_ACTIONS } from '@proof-messenger/audit-log';
import { callerName } from '@proof-messenger/auth';
import { InvalidArgumentError } from '@proof-messenger/errors';
import { principalOf } from '@proof-messenger/governance';
import { authorizeOrThrow } from '@proof-messenger/policy';
import type { RevokeKeyRequest } from '@proof-messenger/proto';
import { checkAgentId, checkKeyId } from '@proof-messenger/protocol';
import type { HandlerContext } from '@proof-messenger/rpc';
import { callerOf, type KeyManagementContext, onOthersKeys } from '../context.ts';

const MAX_REASON = 512;

export function revokeKey(ctx: KeyManagementContext) {
  return async (request: RevokeKeyRequest, call: HandlerContext) => {
    const caller = await callerOf(ctx, call);
    const agentId = checkAgentId('agent_id', request.agentId);
    if (onOthersKeys(caller, agentId)) await ctx.rateLimiter.take(callerName(caller), 'admin');
    await authorizeOrThrow(
      ctx.authorizer,
      {
        principal: principalOf(caller),
        action: 'RevokeKey',
        resource: { type: 'Agent', id: agentId },
      },
      `revoke keys of ${agentId}`,
    );
    if (request.keyId !== '') checkKeyId('key_id', request.keyId);
    const reason = request.reason.trim();
    if (reason === '' || reason.length > MAX_REASON) {
      throw new InvalidArgumentError(
        `reason is required (1-${MAX_REASON} characters): say why for verifiers and the audit log`,
        {
          field: 'reason',
        },
      );
    }
    const now = ctx.now();
    if (request.keyId === '') {
      await ctx.stores.identities.revokeIdentity(agentId, reason, now);
      await ctx.stores.prekeys.deleteAll(agentId);
    } else {
      await ctx.stores.identities.revokeKey(agentId, request.keyId, reason, now);
    }
    ctx.audit.record({
      timeMs: now,
      actor: callerName(caller),
      action:
        request.keyId === '' ? AUDIT_ACTIONS.identityRevoked : AUDIT_ACTIONS.identityKeyRevoked,
      target: agentId,
      outcome: 'success',
      reason,
      details: request.keyId === '' ? {} : { keyId: request.keyId },
    });
    ctx.log.warn(
      { agentId, keyId: request.keyId || '*', actor: callerName(caller) },
      'key revoked',
    );
    return { revokedAtMs: BigInt(now) };
  };
}
