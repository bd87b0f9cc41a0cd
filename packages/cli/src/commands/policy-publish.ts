/** `policy publish <file> [--comment]`: validates, stores and activates a new policy version. */
import type { Command } from '../command.ts';
import { ExitCode } from '../exit-code.ts';
import { jsonLine } from '../format.ts';
import { optionString, wantsJson } from '../global-options.ts';
import { GOVERNANCE_GROUPS, GOVERNANCE_OPTIONS, withGovernance } from '../governance-session.ts';
import { readPolicyFile } from '../policy-file.ts';
import { versionJson, versionText } from '../policy-format.ts';

export const policyPublish: Command = {
  name: 'policy publish',
  args: '<file|->',
  arity: [1, 1],
  summary: 'publish a Cedar policy file as the new active version',
  description: `Validates the Cedar policy set (a file, or - for stdin), stores it as the next version and makes
it the active one: every decision from then on is taken by it, on every instance. An invalid
policy is refused with Cedar's messages (exit 1) and the active version stays as it was; so is a
policy that would leave no operator able to manage policies. Every version is kept:
\`policy activate <version>\` rolls back. Needs ManagePolicies (operators, under the default policy).

Example:
  proof-messenger policy publish team.cedar --comment "billing-bot may only send to ledger" \\
    --operator-credential-file .data/operator.credential`,
  options: {
    comment: {
      type: 'string',
      value: '<text>',
      description: 'why this change (at most 1,000 characters; kept with the version)',
    },
    ...GOVERNANCE_OPTIONS,
  },
  groups: GOVERNANCE_GROUPS,
  async run(invocation) {
    const { io, positionals, values } = invocation;
    const text = await readPolicyFile(io, positionals[0] ?? '-');
    const comment = optionString(values, 'comment') ?? '';
    return withGovernance(invocation, async (session) => {
      const { version } = await session
        .policies()
        .call('publishPolicy', { text, comment }, session.options);
      if (version === undefined) throw new Error('the server answered without the new version');
      io.stdout(
        wantsJson(values)
          ? jsonLine(versionJson({ ...version, text: '' }))
          : versionText(`published policy version ${version.version}, now active`, version),
      );
      return ExitCode.OK;
    });
  },
};
