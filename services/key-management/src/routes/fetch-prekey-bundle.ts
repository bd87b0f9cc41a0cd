/**
 * FetchPrekeyBundle: what a sender needs to encrypt to an agent — its identity key, its signed
 * prekey and, while any are left, one one-time prekey handed to this caller only (the store's take
 * is atomic across concurrent fetchers and instances). With none left the bundle falls back to the
 * signed prekey alone.
 *
 * Two `fetch_prekey` limits: the caller's (refused with RESOURCE_EXHAUSTED and a retry-after), and
 * the target's (`target:<agentId>`), which bounds how fast all callers together can drain one
 * agent's one-time prekeys. Past the target's limit the fetch still succeeds with the signed
 * prekey alone, as when the pool is empty: refusing would let one caller cut an agent off from
 * every new sender, while falling back costs only the one-time prekey's extra forward secrecy.
 */

import { fromBinary } from '@bufbuild/protobuf';
import { AUDIT_ACTIONS } from '@proof-messenger/audit-log';
import { callerName } from '@proof-messenger/auth';
import { NotFoundError, RateLimitedError } from '@proof-messenger/errors';
import { type FetchPrekeyBundleRequest, SignedStatementSchema } from '@proof-messenger/proto';
import { checkAgentId } from '@proof-messenger/protocol';
import type { HandlerContext } from '@proof-messenger/rpc';
import { callerOf, type KeyManagementContext } from '../context.ts';
import { currentIdentity } from '../statement-checks.ts';

/** Whether `agentId` may hand out another one-time prekey now (its `target:` bucket). */
async function targetWithinLimit(ctx: KeyManagementContext, agentId: string): Promise<boolean> {
  try {
    await ctx.rateLimiter.take(`target:${agentId}`, 'fetch_prekey');
    return true;
  } catch (error) {
    if (error instanceof RateLimitedError) return false;
    throw error;
  }
}

export function fetchPrekeyBundle(ctx: KeyManagementContext) {
  return async (request: FetchPrekeyBundleRequest, call: HandlerContext) => {
    const caller = await callerOf(ctx, call);
    await ctx.rateLimiter.take(callerName(caller), 'fetch_prekey');
    const agentId = checkAgentId('agent_id', request.agentId);
    const { key } = await currentIdentity(ctx, agentId);
    const signed = await ctx.stores.prekeys.getSignedPrekey(agentId);
    if (signed === undefined) {
      throw new NotFoundError(`agent ${agentId} has not uploaded a prekey bundle yet`, {
        field: 'agent_id',
      });
    }
    const oneTime = (await targetWithinLimit(ctx, agentId))
      ? await ctx.stores.prekeys.takeOneTimePrekey(agentId)
      : undefined;
    if (oneTime !== undefined) {
      ctx.audit.record({
        timeMs: ctx.now(),
        actor: callerName(caller),
        action: AUDIT_ACTIONS.prekeyConsumed,
        target: agentId,
        outcome: 'success',
        reason: '',
        details: { keyId: oneTime.keyId },
      });
    }
    return {
      identityKey: { keyId: key.keyId, mlDsa65: key.mlDsa65, ed25519: key.ed25519 },
      signedPrekey: fromBinary(SignedStatementSchema, signed),
      oneTimePrekey:
        oneTime === undefined ? undefined : fromBinary(SignedStatementSchema, oneTime.statement),
    };
  };
}
