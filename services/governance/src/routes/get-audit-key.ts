/** GetAuditKey: any authenticated caller reads the public key checkpoints are signed with. */
import { FailedPreconditionError } from '@proof-messenger/errors';
import type { HandlerContext } from '@proof-messenger/rpc';
import { toPublicKeyMessage } from '../audit-messages.ts';
import { callerOf, type GovernanceContext } from '../context.ts';

export function getAuditKey(ctx: GovernanceContext) {
  return async (_request: unknown, call: HandlerContext) => {
    await callerOf(ctx, call);
    const key = ctx.trail.publicKey;
    if (key === undefined) {
      throw new FailedPreconditionError(
        'this instance holds no audit key (PM_AUDIT_KEY_FILE); ask the governance service',
      );
    }
    return { publicKey: toPublicKeyMessage(key) };
  };
}
