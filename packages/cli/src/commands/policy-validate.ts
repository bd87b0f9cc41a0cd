/** `policy validate <file>`: checks a Cedar policy set against the schema; changes nothing. */
import type { Command } from '../command.ts';
import { ExitCode } from '../exit-code.ts';
import { jsonLine } from '../format.ts';
import { wantsJson } from '../global-options.ts';
import { GOVERNANCE_GROUPS, GOVERNANCE_OPTIONS, withGovernance } from '../governance-session.ts';
import { readPolicyFile } from '../policy-file.ts';

export const policyValidate: Command = {
  name: 'policy validate',
  args: '<file|->',
  arity: [1, 1],
  summary: 'check a Cedar policy file against the schema (changes nothing)',
  description: `Parses and validates a Cedar policy set (a file, or - for stdin) against the platform's
schema (\`proof-messenger policy schema\`) without storing it. Prints "valid: N policies", or
"invalid:" and Cedar's messages, one per problem; exits 0 only when valid, 1 when not. Needs
ReadPolicies (operators, under the default policy).

Example:
  proof-messenger policy validate team.cedar --operator-credential-file .data/operator.credential`,
  options: GOVERNANCE_OPTIONS,
  groups: GOVERNANCE_GROUPS,
  async run(invocation) {
    const { io, positionals, values } = invocation;
    const text = await readPolicyFile(io, positionals[0] ?? '-');
    return withGovernance(invocation, async (session) => {
      const result = await session.policies().call('validatePolicy', { text }, session.options);
      if (wantsJson(values)) {
        io.stdout(
          jsonLine({ valid: result.valid, policyCount: result.policyCount, errors: result.errors }),
        );
      } else if (result.valid) {
        io.stdout(
          `valid: ${result.policyCount} ${result.policyCount === 1 ? 'policy' : 'policies'}\n`,
        );
      } else {
        io.stdout(
          `invalid: ${result.errors.length} ${result.errors.length === 1 ? 'problem' : 'problems'}\n`,
        );
        for (const error of result.errors) io.stdout(`  ${error.replaceAll('\n', '\n  ')}\n`);
      }
      return result.valid ? ExitCode.OK : ExitCode.FAILURE;
    });
  },
};
