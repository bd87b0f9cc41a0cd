/** GetPrekeyCount: how many one-time prekeys the calling agent has left (the SDK tops up below a threshold). */
import { requireAgent } from '@proof-messenger/auth';
import type { HandlerContext } from '@proof-messenger/rpc';
import { callerOf, type KeyManagementContext } from '../context.ts';

export function getPrekeyCount(ctx: KeyManagementContext) {
  return async (_request: unknown, call: HandlerContext) => {
    const { agentId } = requireAgent(await callerOf(ctx, call), 'read its prekey count');
    return { oneTimePrekeysRemaining: await ctx.stores.prekeys.countOneTimePrekeys(agentId) };
  };
}
