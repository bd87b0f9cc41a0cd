/** GetIdentity: any authenticated caller may read an agent's current key and status. */
import { NotFoundError } from '@proof-messenger/errors';
import type { GetIdentityRequest } from '@proof-messenger/proto';
import { checkAgentId } from '@proof-messenger/protocol';
import type { HandlerContext } from '@proof-messenger/rpc';
import { callerOf, type KeyManagementContext } from '../context.ts';
import { toIdentityMessage } from '../records.ts';

export function getIdentity(ctx: KeyManagementContext) {
  return async (request: GetIdentityRequest, call: HandlerContext) => {
    await callerOf(ctx, call);
    const agentId = checkAgentId('agent_id', request.agentId);
    const identity = await ctx.stores.identities.get(agentId);
    if (identity === undefined)
      throw new NotFoundError(`agent ${agentId} is not registered`, { field: 'agent_id' });
    return { identity: toIdentityMessage(identity) };
  };
}
