/** ValidatePolicy: parses and validates a text against the schema; changes nothing. */
import type { ValidatePolicyRequest } from '@proof-messenger/proto';
import type { HandlerContext } from '@proof-messenger/rpc';
import { authorizedCaller, type GovernanceContext } from '../context.ts';
import { policyText } from './policy-arguments.ts';

export function validatePolicy(ctx: GovernanceContext) {
  return async (request: ValidatePolicyRequest, call: HandlerContext) => {
    const text = policyText(request.text);
    await authorizedCaller(ctx, call, 'ReadPolicies', 'validate policies');
    const result = ctx.policies.validate(text);
    return { valid: result.valid, errors: [...result.errors], policyCount: result.policyCount };
  };
}
