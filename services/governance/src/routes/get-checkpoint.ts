/**
 * GetCheckpoint: the latest signed checkpoint or the one of a given size. Checkpoints state only a
 * size and a root, so any authenticated caller may read them; that is what lets agents pin the
 * log's state they have seen.
 */
import { NotFoundError } from '@proof-messenger/errors';
import type { GetCheckpointRequest } from '@proof-messenger/proto';
import type { HandlerContext } from '@proof-messenger/rpc';
import { toCheckpointMessage } from '../audit-messages.ts';
import { callerOf, type GovernanceContext } from '../context.ts';
import { position } from './audit-arguments.ts';
import { checkpointFor } from './checkpoint-for.ts';

export function getCheckpoint(ctx: GovernanceContext) {
  return async (request: GetCheckpointRequest, call: HandlerContext) => {
    const treeSize = position('tree_size', request.treeSize);
    await callerOf(ctx, call);
    const checkpoint = await checkpointFor(ctx, 'tree_size', treeSize);
    if (checkpoint === undefined) throw new NotFoundError('no checkpoint found');
    return { checkpoint: toCheckpointMessage(checkpoint) };
  };
}
