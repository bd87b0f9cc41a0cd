/**
 * GetSessionKeys: the keys a peer may encrypt to for a session — the current key first, then keys
 * still in their grace period. Keys past their grace period are never returned.
 */
import { fromBinary } from '@bufbuild/protobuf';
import type { GetSessionKeysRequest } from '@proof-messenger/proto';
import { SignedStatementSchema } from '@proof-messenger/proto';
import { checkAgentId } from '@proof-messenger/protocol';
import type { HandlerContext } from '@proof-messenger/rpc';
import { callerOf, type KeyManagementContext } from '../context.ts';

export function getSessionKeys(ctx: KeyManagementContext) {
  return async (request: GetSessionKeysRequest, call: HandlerContext) => {
    await callerOf(ctx, call);
    const ownerId = checkAgentId('owner_id', request.ownerId);
    const peerId = checkAgentId('peer_id', request.peerId);
    const keys = await ctx.stores.sessions.list(ownerId, peerId, ctx.now());
    return {
      keys: keys.map((key) => ({
        sessionKey: fromBinary(SignedStatementSchema, key.statement),
        current: key.current,
        graceEndsAtMs: BigInt(key.graceEndsAtMs ?? 0),
      })),
    };
  };
}
