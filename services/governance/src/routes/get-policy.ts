/** GetPolicy: the active version (or a given one) with its text (ReadPolicies). */
import { NotFoundError } from '@proof-messenger/errors';
import type { GetPolicyRequest } from '@proof-messenger/proto';
import type { HandlerContext } from '@proof-messenger/rpc';
import { authorizedCaller, type GovernanceContext } from '../context.ts';
import { toPolicyVersionMessage } from '../policy-messages.ts';
import { versionNumber } from './policy-arguments.ts';

export function getPolicy(ctx: GovernanceContext) {
  return async (request: GetPolicyRequest, call: HandlerContext) => {
    const version = versionNumber(request.version);
    await authorizedCaller(ctx, call, 'ReadPolicies', 'read policies');
    const active = await ctx.policies.active();
    if (active === undefined) throw new NotFoundError('no policy version is active');
    const record = version === 0 ? active : await ctx.policies.get(version);
    if (record === undefined) {
      throw new NotFoundError(`policy version ${version} is not stored`, { field: 'version' });
    }
    return {
      version: toPolicyVersionMessage({ ...record, active: record.version === active.version }),
      activatedAtMs: BigInt(active.changedAtMs),
      activatedBy: active.changedBy,
    };
  };
}
