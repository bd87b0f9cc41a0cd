/**
 * GetInclusionProof: an entry, a signed checkpoint that covers it and the audit path between them;
 * needs ReadAudit (the entry says who did what).
 */
import { FailedPreconditionError } from '@proof-messenger/errors';
import type { GetInclusionProofRequest } from '@proof-messenger/proto';
import type { HandlerContext } from '@proof-messenger/rpc';
import { toAuditEntryMessage, toCheckpointMessage } from '../audit-messages.ts';
import { authorizedCaller, type GovernanceContext } from '../context.ts';
import { position } from './audit-arguments.ts';
import { checkpointFor } from './checkpoint-for.ts';

export function getInclusionProof(ctx: GovernanceContext) {
  return async (request: GetInclusionProofRequest, call: HandlerContext) => {
    const sequence = position('sequence', request.sequence);
    const treeSize = position('tree_size', request.treeSize);
    await authorizedCaller(ctx, call, 'ReadAudit', 'read the audit log');
    const checkpoint = await checkpointFor(ctx, 'tree_size', treeSize);
    if (sequence >= checkpoint.treeSize) {
      throw new FailedPreconditionError(
        `entry ${sequence} is not covered by the checkpoint of size ${checkpoint.treeSize} yet; checkpoints are signed every ${Math.ceil(ctx.checkpointIntervalMs / 1000)} s`,
        { field: 'sequence' },
      );
    }
    const [entry] = await ctx.trail.entries(sequence, 1);
    const proof = await ctx.trail.inclusionProof(sequence, checkpoint.treeSize);
    return {
      entry: entry === undefined ? undefined : toAuditEntryMessage(entry),
      checkpoint: toCheckpointMessage(checkpoint),
      auditPath: [...proof.hashes],
    };
  };
}
