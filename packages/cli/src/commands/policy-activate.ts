/** `policy activate <version> [--comment]`: makes a stored version the active one (rollback). */
import { CliError } from '../cli-error.ts';
import type { Command } from '../command.ts';
import { ExitCode } from '../exit-code.ts';
import { jsonLine } from '../format.ts';
import { optionString, wantsJson } from '../global-options.ts';
import { GOVERNANCE_GROUPS, GOVERNANCE_OPTIONS, withGovernance } from '../governance-session.ts';
import { versionJson, versionText } from '../policy-format.ts';

export const policyActivate: Command = {
  name: 'policy activate',
  args: '<version>',
  arity: [1, 1],
  summary: 'make a stored policy version the active one (rollback)',
  description: `Makes the stored version <version> the active policy again, on every instance: the rollback
after a bad publish (or a roll forward). The versions themselves never change; the switch is
recorded in the audit log with the comment. Needs ManagePolicies (operators, under the default
policy).

Example:
  proof-messenger policy activate 3 --comment "v4 blocked the nightly export" \\
    --operator-credential-file .data/operator.credential`,
  options: {
    comment: {
      type: 'string',
      value: '<text>',
      description: 'why (at most 1,000 characters; recorded in the audit log)',
    },
    ...GOVERNANCE_OPTIONS,
  },
  groups: GOVERNANCE_GROUPS,
  async run(invocation) {
    const { io, positionals, values } = invocation;
    const raw = positionals[0] ?? '';
    if (!/^[1-9]\d{0,15}$/.test(raw)) {
      throw new CliError(
        ExitCode.USAGE,
        `<version> must be a version number from \`policy list\`, got ${JSON.stringify(raw)}`,
      );
    }
    const comment = optionString(values, 'comment') ?? '';
    return withGovernance(invocation, async (session) => {
      const { version } = await session
        .policies()
        .call('activatePolicy', { version: BigInt(raw), comment }, session.options);
      if (version === undefined) throw new Error('the server answered without the version');
      io.stdout(
        wantsJson(values)
          ? jsonLine(versionJson({ ...version, text: '' }))
          : versionText(`policy version ${version.version} is now active`, version),
      );
      return ExitCode.OK;
    });
  },
};
