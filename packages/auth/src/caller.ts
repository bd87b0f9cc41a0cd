/**
 * Who is calling: an agent proven by an access token, or an operator proven by an operator
 * credential. Every RPC of every service resolves its caller first; handlers decide from it.
 */
import { PolicyDeniedError } from '@proof-messenger/errors';

/** An authenticated agent. */
export interface AgentCaller {
  readonly kind: 'agent';
  readonly agentId: string;
  /** Identity key id the agent authenticated with. */
  readonly keyId: string;
}

/** An authenticated operator. */
export interface OperatorCaller {
  readonly kind: 'operator';
  readonly name: string;
}

/** Any authenticated caller. */
export type Caller = AgentCaller | OperatorCaller;

/** How a caller appears in audit entries: the agent id, or `operator:<name>`. */
export function callerName(caller: Caller): string {
  return caller.kind === 'agent' ? caller.agentId : `operator:${caller.name}`;
}

/**
 * Allows the call only for agent `agentId` itself, or for an operator when `operatorsToo`.
 * @throws PolicyDeniedError (PERMISSION_DENIED) naming who may do it
 */
export function requireSelf(
  caller: Caller,
  agentId: string,
  action: string,
  operatorsToo = false,
): void {
  if (caller.kind === 'agent' && caller.agentId === agentId) return;
  if (caller.kind === 'operator' && operatorsToo) return;
  const who = operatorsToo ? `agent ${agentId} itself or an operator` : `agent ${agentId} itself`;
  throw new PolicyDeniedError(`${callerName(caller)} may not ${action}: only ${who} may`);
}

/**
 * Allows the call only for operators.
 * @throws PolicyDeniedError (PERMISSION_DENIED)
 */
export function requireOperator(caller: Caller, action: string): void {
  if (caller.kind !== 'operator') {
    throw new PolicyDeniedError(`${callerName(caller)} may not ${action}: operators only`);
  }
}

/**
 * The agent behind the call.
 * @throws PolicyDeniedError when an operator calls an agent-only RPC
 */
export function requireAgent(caller: Caller, action: string): AgentCaller {
  if (caller.kind !== 'agent') {
    throw new PolicyDeniedError(
      `${callerName(caller)} may not ${action}: it must be called by an agent`,
    );
  }
  return caller;
}
