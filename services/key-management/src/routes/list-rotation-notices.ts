/** ListRotationNotices: the calling agent's sessions whose scheduled rotation is due. */
import { requireAgent } from '@proof-messenger/auth';
import type { HandlerContext } from '@proof-messenger/rpc';
import { callerOf, type KeyManagementContext } from '../context.ts';

export function listRotationNotices(ctx: KeyManagementContext) {
  return async (_request: unknown, call: HandlerContext) => {
    const { agentId } = requireAgent(await callerOf(ctx, call), 'list rotation notices');
    const notices = await ctx.stores.sessions.listNotices(agentId);
    return {
      notices: notices.map((notice) => ({
        peerId: notice.peerId,
        keyId: notice.keyId,
        dueAtMs: BigInt(notice.dueAtMs),
      })),
    };
  };
}
