/**
 * PublishPolicy: validates, stores and activates a new version (ManagePolicies). An invalid text
 * is refused with Cedar's messages and the active version stays as it was.
 */
import { callerName } from '@proof-messenger/auth';
import type { PublishPolicyRequest } from '@proof-messenger/proto';
import type { HandlerContext } from '@proof-messenger/rpc';
import { authorizedCaller, type GovernanceContext } from '../context.ts';
import { toPolicyVersionMessage } from '../policy-messages.ts';
import { comment, policyText } from './policy-arguments.ts';

export function publishPolicy(ctx: GovernanceContext) {
  return async (request: PublishPolicyRequest, call: HandlerContext) => {
    const text = policyText(request.text);
    const note = comment(request.comment);
    const caller = await authorizedCaller(ctx, call, 'ManagePolicies', 'publish policies');
    const record = await ctx.policies.publish(text, { author: callerName(caller), comment: note });
    return { version: toPolicyVersionMessage({ ...record, active: true }) };
  };
}
