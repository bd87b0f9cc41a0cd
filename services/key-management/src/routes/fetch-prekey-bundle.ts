/**
 * FetchPrekeyBundle: what a sender needs to encrypt to an agent — its identity key, its signed
 * prekey and, while any are left, one one-time prekey handed to this caller only (the store's take
 * is atomic across concurrent fetchers and instances). With none left the bundle falls back to the
 * signed prekey alone.
 */

import { fromBinary } from '@bufbuild/protobuf';
import { callerName } from '@proof-messenger/auth';
import { NotFoundError } from '@proof-messenger/errors';
import { type FetchPrekeyBundleRequest, SignedStatementSchema } from '@proof-messenger/proto';
import { checkAgentId } from '@proof-messenger/protocol';
import type { HandlerContext } from '@proof-messenger/rpc';
import { callerOf, type KeyManagementContext } from '../context.ts';
import { currentIdentity } from '../statement-checks.ts';

export function fetchPrekeyBundle(ctx: KeyManagementContext) {
  return async (request: FetchPrekeyBundleRequest, call: HandlerContext) => {
    const caller = await callerOf(ctx, call);
    const agentId = checkAgentId('agent_id', request.agentId);
    const { key } = await currentIdentity(ctx, agentId);
    const signed = await ctx.stores.prekeys.getSignedPrekey(agentId);
    if (signed === undefined) {
      throw new NotFoundError(`agent ${agentId} has not uploaded a prekey bundle yet`, {
        field: 'agent_id',
      });
    }
    const oneTime = await ctx.stores.prekeys.takeOneTimePrekey(agentId);
    if (oneTime !== undefined) {
      await ctx.stores.audit.append({
        atMs: ctx.now(),
        actor: callerName(caller),
        action: 'prekey.consumed',
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
