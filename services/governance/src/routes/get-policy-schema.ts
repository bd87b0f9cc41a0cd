/** GetPolicySchema: the Cedar schema policies are validated against; any authenticated caller. */
import { loadPolicySchema } from '@proof-messenger/policy';
import type { HandlerContext } from '@proof-messenger/rpc';
import { callerOf, type GovernanceContext } from '../context.ts';

export function getPolicySchema(ctx: GovernanceContext) {
  return async (_request: unknown, call: HandlerContext) => {
    await callerOf(ctx, call);
    return { schema: loadPolicySchema() };
  };
}
