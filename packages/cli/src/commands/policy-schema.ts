/** `policy schema`: the Cedar schema policies are validated against. */
import type { Command } from '../command.ts';
import { ExitCode } from '../exit-code.ts';
import { GOVERNANCE_GROUPS, GOVERNANCE_OPTIONS, withGovernance } from '../governance-session.ts';

export const policySchema: Command = {
  name: 'policy schema',
  args: '',
  arity: [0, 0],
  summary: 'print the Cedar schema (entities and actions) policies are written against',
  description: `Prints the Cedar schema, in Cedar's schema syntax, that \`policy validate\` and \`policy publish\`
check against: the entity types (agents, operators, channels …), their attributes, and every
action with the principals and resources it applies to. Any authenticated agent or operator may
read it. See docs/policies.md for how to write policies.

Example:
  proof-messenger policy schema > proof-messenger.cedarschema`,
  options: GOVERNANCE_OPTIONS,
  groups: GOVERNANCE_GROUPS.filter((group) => group !== 'output'),
  async run(invocation) {
    const { io } = invocation;
    return withGovernance(invocation, async (session) => {
      const { schema } = await session.policies().call('getPolicySchema', {}, session.options);
      io.stdout(schema.endsWith('\n') ? schema : `${schema}\n`);
      return ExitCode.OK;
    });
  },
};
