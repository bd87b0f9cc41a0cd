/** ListCheckpoints: signed checkpoints by tree size, for a full offline check; any caller. */
import { InvalidArgumentError } from '@proof-messenger/errors';
import type { ListCheckpointsRequest } from '@proof-messenger/proto';
import type { HandlerContext } from '@proof-messenger/rpc';
import { toCheckpointMessage } from '../audit-messages.ts';
import { callerOf, type GovernanceContext } from '../context.ts';
import { position } from './audit-arguments.ts';

const MAX_LIMIT = 1000;

export function listCheckpoints(ctx: GovernanceContext) {
  return async (request: ListCheckpointsRequest, call: HandlerContext) => {
    const after = position('after_tree_size', request.afterTreeSize);
    if (request.limit > MAX_LIMIT) {
      throw new InvalidArgumentError(`limit must be 0-${MAX_LIMIT}, got ${request.limit}`, {
        field: 'limit',
      });
    }
    await callerOf(ctx, call);
    const checkpoints = await ctx.trail.listCheckpoints(after, request.limit || 100);
    return { checkpoints: checkpoints.map(toCheckpointMessage) };
  };
}
