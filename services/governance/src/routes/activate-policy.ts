/** ActivatePolicy: makes a stored version active again, a rollback or roll forward (ManagePolicies). */
import { callerName } from '@proof-messenger/auth';
import { InvalidArgumentError } from '@proof-messenger/errors';
import type { ActivatePolicyRequest } from '@proof-messenger/proto';
import type { HandlerContext } from '@proof-messenger/rpc';
import { authorizedCaller, type GovernanceContext } from '../context.ts';
import { toPolicyVersionMessage } from '../policy-messages.ts';
import { comment, versionNumber } from './policy-arguments.ts';

export function activatePolicy(ctx: GovernanceContext) {
  return async (request: ActivatePolicyRequest, call: HandlerContext) => {
    const version = versionNumber(request.version);
    if (version === 0) {
      throw new InvalidArgumentError('version is required: the stored version to activate', {
        field: 'version',
      });
    }
    const note = comment(request.comment);
    const caller = await authorizedCaller(ctx, call, 'ManagePolicies', 'activate policies');
    const active = await ctx.policies.activate(version, callerName(caller), note);
    return { version: toPolicyVersionMessage(active) };
  };
}
