/** The PolicyService implementation: one handler per RPC, each in `routes/`. */
import type { PolicyService } from '@proof-messenger/proto';
import type { ServiceImplementation } from '@proof-messenger/rpc';
import type { GovernanceContext } from './context.ts';
import { activatePolicy } from './routes/activate-policy.ts';
import { getPolicy } from './routes/get-policy.ts';
import { getPolicySchema } from './routes/get-policy-schema.ts';
import { listPolicyVersions } from './routes/list-policy-versions.ts';
import { publishPolicy } from './routes/publish-policy.ts';
import { validatePolicy } from './routes/validate-policy.ts';

/** Handlers for every PolicyService RPC. */
export function policyImplementation(
  ctx: GovernanceContext,
): ServiceImplementation<typeof PolicyService> {
  return {
    validatePolicy: validatePolicy(ctx),
    publishPolicy: publishPolicy(ctx),
    getPolicy: getPolicy(ctx),
    listPolicyVersions: listPolicyVersions(ctx),
    activatePolicy: activatePolicy(ctx),
    getPolicySchema: getPolicySchema(ctx),
  };
}
