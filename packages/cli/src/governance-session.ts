/**
 * A command's connection to the governance service (PolicyService and AuditService; the embedded
 * platform serves them on its one port, the distributed deployment as its own service): as an
 * operator when a credential is given, else as the key store's agent. Under the default policy
 * only operators read and manage policies and read audit entries; any authenticated caller reads
 * the audit key, checkpoints and consistency proofs.
 */
import { AuditService, PolicyService } from '@proof-messenger/proto';
import { type CallOptions, PromiseClient } from '@proof-messenger/rpc';
import { withAgent } from './agent-session.ts';
import type { Invocation, OptionGroup, OptionSpec } from './command.ts';
import { serverAddresses } from './global-options.ts';
import { OPERATOR_CREDENTIAL_OPTION, operatorCredential } from './operator-credential.ts';

/** The options every `policy` and `audit` command that calls the service takes. */
export const GOVERNANCE_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  'operator-credential-file': OPERATOR_CREDENTIAL_OPTION,
};

/** Their option groups. */
export const GOVERNANCE_GROUPS: readonly OptionGroup[] = [
  'server',
  'governance',
  'key-store',
  'output',
];

/** The two governance clients and the authorization to call them with. */
export interface GovernanceSession {
  /** PolicyService (created on first use). */
  policies(): PromiseClient<typeof PolicyService>;
  /** AuditService (created on first use). */
  audit(): PromiseClient<typeof AuditService>;
  /** Call options carrying the caller's authorization. */
  readonly options: CallOptions;
}

/** Runs `work` against the governance service as the operator or the agent, then closes it. */
export async function withGovernance<T>(
  invocation: Invocation,
  work: (session: GovernanceSession) => Promise<T>,
): Promise<T> {
  const address = serverAddresses(invocation.io, invocation.values).governance;
  let policies: PromiseClient<typeof PolicyService> | undefined;
  let audit: PromiseClient<typeof AuditService> | undefined;
  const session = (authorization: string): GovernanceSession => ({
    policies: () => {
      policies ??= new PromiseClient(PolicyService, address);
      return policies;
    },
    audit: () => {
      audit ??= new PromiseClient(AuditService, address);
      return audit;
    },
    options: { metadata: { authorization } },
  });
  try {
    const credential = await operatorCredential(invocation.io, invocation.values);
    if (credential !== undefined) return await work(session(`Operator ${credential}`));
    return await withAgent(invocation, async ({ keys }) =>
      work(session(await keys.client.authorization())),
    );
  } finally {
    policies?.close();
    audit?.close();
  }
}
