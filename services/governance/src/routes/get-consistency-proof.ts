/**
 * GetConsistencyProof: two signed checkpoints and the proof that the later tree extends the
 * earlier one. It reveals only hashes, so any authenticated caller may ask: an agent that kept an
 * old checkpoint can check the log never rewrote what it had seen.
 */
import { InvalidArgumentError } from '@proof-messenger/errors';
import type { GetConsistencyProofRequest } from '@proof-messenger/proto';
import type { HandlerContext } from '@proof-messenger/rpc';
import { toCheckpointMessage } from '../audit-messages.ts';
import { callerOf, type GovernanceContext } from '../context.ts';
import { position } from './audit-arguments.ts';
import { checkpointFor } from './checkpoint-for.ts';

export function getConsistencyProof(ctx: GovernanceContext) {
  return async (request: GetConsistencyProofRequest, call: HandlerContext) => {
    const fromSize = position('from_tree_size', request.fromTreeSize);
    const toSize = position('to_tree_size', request.toTreeSize);
    if (fromSize === 0) {
      throw new InvalidArgumentError('from_tree_size must be the size of a signed checkpoint', {
        field: 'from_tree_size',
      });
    }
    await callerOf(ctx, call);
    const older = await checkpointFor(ctx, 'from_tree_size', fromSize);
    const newer = await checkpointFor(ctx, 'to_tree_size', toSize);
    if (older.treeSize > newer.treeSize) {
      throw new InvalidArgumentError(
        `from_tree_size ${older.treeSize} is beyond to_tree_size ${newer.treeSize}`,
        { field: 'from_tree_size' },
      );
    }
    const proof = await ctx.trail.consistencyProof(older.treeSize, newer.treeSize);
    return {
      fromCheckpoint: toCheckpointMessage(older),
      toCheckpoint: toCheckpointMessage(newer),
      consistencyPath: [...proof.hashes],
    };
  };
}
