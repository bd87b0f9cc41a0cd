/**
 * The signed checkpoint a proof request names: a stored one of exactly that size, or the latest
 * for 0. Proofs are only ever given against signed checkpoints, so a verifier never has to trust
 * an unsigned root.
 */
import type { SignedCheckpoint } from '@proof-messenger/audit-log';
import { NotFoundError } from '@proof-messenger/errors';
import type { GovernanceContext } from '../context.ts';

/**
 * @throws NotFoundError when there is no checkpoint yet, or none of that size
 */
export async function checkpointFor(
  ctx: GovernanceContext,
  field: string,
  treeSize: number,
): Promise<SignedCheckpoint> {
  const seconds = Math.ceil(ctx.checkpointIntervalMs / 1000);
  if (treeSize === 0) {
    const latest = await ctx.trail.latestCheckpoint();
    if (latest === undefined) {
      throw new NotFoundError(
        `the audit log has no signed checkpoint yet; one is signed every ${seconds} s once entries exist`,
      );
    }
    return latest;
  }
  const checkpoint = await ctx.trail.checkpointAt(treeSize);
  if (checkpoint === undefined) {
    throw new NotFoundError(
      `no signed checkpoint has tree size ${treeSize}; ask for 0 (the latest) or a size a checkpoint states`,
      { field },
    );
  }
  return checkpoint;
}
