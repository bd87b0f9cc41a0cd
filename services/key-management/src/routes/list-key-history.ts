/**
 * ListKeyHistory: every identity key an agent has had, with validity windows, so a signature made
 * before a rotation still verifies for audit as of its time.
 */
import { NotFoundError } from '@proof-messenger/errors';
import type { ListKeyHistoryRequest } from '@proof-messenger/proto';
import { checkAgentId } from '@proof-messenger/protocol';
import type { HandlerContext } from '@proof-messenger/rpc';
import { callerOf, type KeyManagementContext } from '../context.ts';
import { toKeyRecord } from '../records.ts';

export function listKeyHistory(ctx: KeyManagementContext) {
  return async (request: ListKeyHistoryRequest, call: HandlerContext) => {
    await callerOf(ctx, call);
    const agentId = checkAgentId('agent_id', request.agentId);
    const keys = await ctx.stores.identities.history(agentId);
    if (keys.length === 0)
      throw new NotFoundError(`agent ${agentId} is not registered`, { field: 'agent_id' });
    return { keys: keys.map(toKeyRecord) };
  };
}
