/** `policy list [--limit N]`: the stored policy versions, newest first. */
import type { PolicyVersion } from '@proof-messenger/proto';
import type { Command } from '../command.ts';
import { ExitCode } from '../exit-code.ts';
import { jsonLine } from '../format.ts';
import { wantsJson } from '../global-options.ts';
import { GOVERNANCE_GROUPS, GOVERNANCE_OPTIONS, withGovernance } from '../governance-session.ts';
import { integerOption } from '../integer-option.ts';
import { versionJson, versionTable } from '../policy-format.ts';

const PAGE = 100;

export const policyList: Command = {
  name: 'policy list',
  args: '',
  arity: [0, 0],
  summary: 'list the stored policy versions, newest first (* marks the active one)',
  description: `Lists the stored policy versions, newest first: number (* marks the active one), when it was
published, the author and the comment. Shows the newest --limit versions (default 20). Needs
ReadPolicies (operators, under the default policy).

Example:
  proof-messenger policy list --limit 5 --operator-credential-file .data/operator.credential`,
  options: {
    limit: {
      type: 'string',
      value: '<n>',
      description: 'at most this many versions, 1-10000 (default 20)',
    },
    ...GOVERNANCE_OPTIONS,
  },
  groups: GOVERNANCE_GROUPS,
  async run(invocation) {
    const { io, values } = invocation;
    const limit = integerOption(values, 'limit', 20, 1, 10_000);
    return withGovernance(invocation, async (session) => {
      const versions: PolicyVersion[] = [];
      let pageToken = '';
      do {
        const page = await session
          .policies()
          .call(
            'listPolicyVersions',
            { pageSize: Math.min(PAGE, limit - versions.length), pageToken },
            session.options,
          );
        versions.push(...page.versions);
        pageToken = page.nextPageToken;
      } while (pageToken !== '' && versions.length < limit);
      io.stdout(
        wantsJson(values)
          ? versions.map((v) => jsonLine(versionJson(v))).join('')
          : versionTable(versions),
      );
      return ExitCode.OK;
    });
  },
};
