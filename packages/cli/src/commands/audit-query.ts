/** `audit query [filters…]`: audit entries matching filters, newest first, one page per run. */
import { fromAuditEntryMessage } from '@proof-messenger/governance/messages';
import { entryJson, entryTable } from '../audit-format.ts';
import { CliError } from '../cli-error.ts';
import type { Command, OptionValues } from '../command.ts';
import { ExitCode } from '../exit-code.ts';
import { jsonLine } from '../format.ts';
import { optionString, wantsJson } from '../global-options.ts';
import { GOVERNANCE_GROUPS, GOVERNANCE_OPTIONS, withGovernance } from '../governance-session.ts';
import { integerOption } from '../integer-option.ts';

const OUTCOMES = ['success', 'denied', 'failure'];

/** `--since` / `--until`: ms since the epoch, or an ISO 8601 date or time. */
function timeOption(values: OptionValues, name: string): bigint {
  const raw = optionString(values, name);
  if (raw === undefined) return 0n;
  const ms = /^\d+$/.test(raw) ? Number(raw) : Date.parse(raw);
  if (!Number.isSafeInteger(ms) || ms < 0) {
    throw new CliError(
      ExitCode.USAGE,
      `--${name} must be an ISO 8601 time (2026-05-01T12:00:00Z) or milliseconds since the epoch, got ${JSON.stringify(raw)}`,
    );
  }
  return BigInt(ms);
}

export const auditQuery: Command = {
  name: 'audit query',
  args: '',
  arity: [0, 0],
  summary: 'list audit entries by time, agent, action and outcome, newest first',
  description: `Lists audit log entries matching every filter given, newest first, one page per run: a table
(sequence, time, action, actor, target, outcome, reason), or with --json one entry per line. When
more match, the last line is "next page: --page-token <token>" (with --json: a line
{"nextPageToken": "<token>"}); run the same query with it for the next page. Entries never hold
message content, only ids and SHA-256 hashes. Needs ReadAudit (operators, under the default policy).

Examples:
  proof-messenger audit query --since 2026-05-01T00:00:00Z --action policy. --operator-credential-file .data/operator.credential
  proof-messenger audit query --agent billing-bot --outcome denied --json | jq .reason`,
  options: {
    since: {
      type: 'string',
      value: '<time>',
      description: 'entries at or after this ISO 8601 time or epoch ms',
    },
    until: { type: 'string', value: '<time>', description: 'entries before this time' },
    agent: {
      type: 'string',
      value: '<agent-id>',
      description: 'entries whose actor or target is this agent',
    },
    action: {
      type: 'string',
      multiple: true,
      value: '<name>',
      description: 'an event name (message.sent) or a prefix ending in . (policy.); repeatable',
    },
    outcome: { type: 'string', value: '<outcome>', description: 'success, denied or failure' },
    limit: { type: 'string', value: '<n>', description: 'entries per page, 1-1000 (default 100)' },
    'page-token': {
      type: 'string',
      value: '<token>',
      description: 'the next page, as printed by the previous run',
    },
    ...GOVERNANCE_OPTIONS,
  },
  groups: GOVERNANCE_GROUPS,
  async run(invocation) {
    const { io, values } = invocation;
    const sinceMs = timeOption(values, 'since');
    const untilMs = timeOption(values, 'until');
    if (untilMs !== 0n && sinceMs > untilMs) {
      throw new CliError(ExitCode.USAGE, '--since must not be after --until');
    }
    const outcome = optionString(values, 'outcome') ?? '';
    if (outcome !== '' && !OUTCOMES.includes(outcome)) {
      throw new CliError(
        ExitCode.USAGE,
        `--outcome must be one of ${OUTCOMES.join(', ')}, got ${JSON.stringify(outcome)}`,
      );
    }
    const request = {
      sinceMs,
      untilMs,
      agentId: optionString(values, 'agent') ?? '',
      actions: Array.isArray(values.action) ? values.action.map(String) : [],
      outcome,
      pageSize: integerOption(values, 'limit', 100, 1, 1000),
      pageToken: optionString(values, 'page-token') ?? '',
    };
    return withGovernance(invocation, async (session) => {
      const page = await session.audit().call('queryAuditEvents', request, session.options);
      const entries = page.entries.map(fromAuditEntryMessage);
      const next = page.nextPageToken;
      if (wantsJson(values)) {
        io.stdout(entries.map((entry) => jsonLine(entryJson(entry))).join(''));
        if (next !== '') io.stdout(jsonLine({ nextPageToken: next }));
      } else {
        io.stdout(entries.length === 0 ? 'no matching entries\n' : entryTable(entries));
        if (next !== '') io.stdout(`next page: --page-token ${next}\n`);
      }
      return ExitCode.OK;
    });
  },
};
