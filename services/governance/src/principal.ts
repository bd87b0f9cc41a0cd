/**
 * How an authenticated caller appears to the policy engine: agents as `Agent::"<id>"`, operators
 * as `Operator::"<name>"`. Every service asks the engine with these, so a policy written for one
 * principal means the same thing on every RPC.
 */
import type { Caller } from '@proof-messenger/auth';
import type { EntityRef } from '@proof-messenger/policy';

/** The policy principal of `caller`. */
export function principalOf(caller: Caller): EntityRef {
  return caller.kind === 'agent'
    ? { type: 'Agent', id: caller.agentId }
    : { type: 'Operator', id: caller.name };
}
