/** `policy show [--version N] [--text]`: the active policy version (or a given one). */
import type { Command } from '../command.ts';
import { ExitCode } from '../exit-code.ts';
import { isoTime, jsonLine } from '../format.ts';
import { wantsJson } from '../global-options.ts';
import { GOVERNANCE_GROUPS, GOVERNANCE_OPTIONS, withGovernance } from '../governance-session.ts';
import { integerOption } from '../integer-option.ts';
import { versionJson, versionText } from '../policy-format.ts';

export const policyShow: Command = {
  name: 'policy show',
  args: '',
  arity: [0, 0],
  summary: 'show the active policy version (or --version N), or with --text its Cedar text',
  description: `Shows the active policy version (or the stored version --version N): number, author, when it
was published, the publisher's comment, the SHA-256 of its text, and who last changed the
active version and when. --text prints only the Cedar text, exactly as stored, so
\`policy show --text > current.cedar\` is a starting point for the next version. Needs
ReadPolicies (operators, under the default policy).

Examples:
  proof-messenger policy show --operator-credential-file .data/operator.credential
  proof-messenger policy show --version 3 --text > v3.cedar`,
  options: {
    version: {
      type: 'string',
      value: '<n>',
      description: 'a stored version (default: the active one)',
    },
    text: { type: 'boolean', description: 'print only the Cedar text' },
    ...GOVERNANCE_OPTIONS,
  },
  groups: GOVERNANCE_GROUPS,
  async run(invocation) {
    const { io, values } = invocation;
    const number = integerOption(values, 'version', 0, 1, Number.MAX_SAFE_INTEGER);
    return withGovernance(invocation, async (session) => {
      const answer = await session
        .policies()
        .call('getPolicy', { version: BigInt(number) }, session.options);
      const { version } = answer;
      if (version === undefined) throw new Error('the server answered without the version');
      if (values.text === true) {
        io.stdout(version.text.endsWith('\n') ? version.text : `${version.text}\n`);
      } else if (wantsJson(values)) {
        io.stdout(
          jsonLine({
            ...versionJson(version),
            activatedAtMs: Number(answer.activatedAtMs),
            activatedBy: answer.activatedBy,
          }),
        );
      } else {
        io.stdout(
          `${versionText(`policy version ${version.version}`, version)}  the active version was last set by ${answer.activatedBy} at ${isoTime(answer.activatedAtMs)}\n`,
        );
      }
      return ExitCode.OK;
    });
  },
};
