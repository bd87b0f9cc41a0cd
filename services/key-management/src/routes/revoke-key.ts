/**
 * RevokeKey: the agent itself or an operator revokes one identity key or the whole identity, with
 * a reason. Takes effect at once for new messages; the cached view other services read expires
 * within the documented cache bound (PM_IDENTITY_CACHE_TTL_MS) and is invalidated on write.
 */
import { callerName, requireSelf } from '@proof-messenger/auth';
import { InvalidArgumentError } from '@proof-messenger/errors';
import type { RevokeKeyRequest } from '@proof-messenger/proto';
import { checkAgentId, checkKeyId } from '@proof-messenger/protocol';
import type { HandlerContext } from '@proof-messenger/rpc';
import { callerOf, type KeyManagementContext } from '../context.ts';

const MAX_REASON = 512;

export function revokeKey(ctx: KeyManagementContext) {
  return async (request: RevokeKeyRequest, call: HandlerContext) => {
    const caller = await callerOf(ctx, call);
    const agentId = checkAgentId('agent_id', request.agentId);
    requireSelf(caller, agentId, `revoke keys of ${agentId}`, true);
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
    await ctx.stores.audit.append({
      atMs: now,
      actor: callerName(caller),
      action: request.keyId === '' ? 'identity.revoked' : 'identity.key_revoked',
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
