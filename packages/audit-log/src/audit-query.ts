/**
 * The query of the audit log: which entries an operator asks for (time range, agent, event
 * type, outcome) and one page of the answer, newest first. Checked here, once, so every store
 * answers the same filters with the same errors, and the page token stays opaque: it encodes the
 * last sequence of the page, which only this module reads or writes.
 *
 * Times: `sinceMs` is inclusive, `untilMs` exclusive (sinceMs ≤ timeMs < untilMs), so adjacent
 * windows never share an entry.
 */
import { InvalidArgumentError } from '@proof-messenger/errors';
import type { AuditEntry, AuditOutcome } from './audit-entry.ts';
import { checkIndex, checkText } from './internal/checks.ts';

/** What to look for; every field narrows the result, absent fields match everything. */
export interface AuditQuery {
  /** Entries at or after this time (ms since the Unix epoch). */
  readonly sinceMs?: number;
  /** Entries before this time. */
  readonly untilMs?: number;
  /** Entries whose actor OR target is this agent (or operator, service, channel …). */
  readonly agentId?: string;
  /**
   * Actions to match: exact names (`message.sent`) or prefixes ending in `.` (`message.` matches
   * every `message.*` action). Empty or absent: every action.
   */
  readonly actions?: readonly string[];
  readonly outcome?: AuditOutcome;
  /** Entries per page, 1..1000 (default 100). */
  readonly pageSize?: number;
  /** The `nextPageToken` of the previous page; absent or '' for the first page. */
  readonly pageToken?: string;
}

/** One page of a query's answer. */
export interface AuditPage {
  /** Newest first. */
  readonly entries: AuditEntry[];
  /** Pass as `pageToken` for the next page; '' when this page is the last. */
  readonly nextPageToken: string;
}

/** A checked query, in the form the stores translate to SQL. */
export interface NormalizedAuditQuery {
  readonly sinceMs: number | undefined;
  readonly untilMs: number | undefined;
  readonly agentId: string | undefined;
  /** Exact action names. */
  readonly exactActions: readonly string[];
  /** Action prefixes, each ending in '.'. */
  readonly actionPrefixes: readonly string[];
  readonly outcome: AuditOutcome | undefined;
  readonly pageSize: number;
  /** Only entries with a sequence below this (from the page token). */
  readonly beforeSequence: number | undefined;
}

/** Limits of a query. */
export const AUDIT_QUERY_LIMITS = {
  defaultPageSize: 100,
  maxPageSize: 1000,
  maxActions: 32,
} as const;

const OUTCOMES: readonly string[] = ['success', 'denied', 'failure'];
const TOKEN_PREFIX = 'audit-page/v1:';

/** The opaque token that continues a query after the entry `sequence`. */
export function encodePageToken(sequence: number): string {
  return Buffer.from(`${TOKEN_PREFIX}${sequence}`, 'utf8').toString('base64url');
}

/**
 * The sequence a page token continues below.
 * @throws InvalidArgumentError when the token was not made by encodePageToken
 */
export function decodePageToken(token: string): number {
  const malformed = () =>
    new InvalidArgumentError(
      'pageToken is malformed; pass the nextPageToken of the previous page unchanged, or omit it for the first page',
      { field: 'pageToken' },
    );
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(token)) throw malformed();
  const text = Buffer.from(token, 'base64url').toString('utf8');
  const match = /^audit-page\/v1:(0|[1-9][0-9]{0,15})$/.exec(text);
  const sequence = match === null ? Number.NaN : Number(match[1]);
  if (!Number.isSafeInteger(sequence) || encodePageToken(sequence) !== token) throw malformed();
  return sequence;
}

function optionalTime(name: string, value: unknown): number | undefined {
  return value === undefined ? undefined : checkIndex(name, value);
}

/**
 * Checks a query and puts it in normalized form.
 * @throws InvalidArgumentError naming the field that is wrong and what it must be
 */
export function normalizeAuditQuery(query: AuditQuery): NormalizedAuditQuery {
  if (typeof query !== 'object' || query === null) {
    throw new InvalidArgumentError('the audit query must be an object');
  }
  const sinceMs = optionalTime('sinceMs', query.sinceMs);
  const untilMs = optionalTime('untilMs', query.untilMs);
  if (sinceMs !== undefined && untilMs !== undefined && untilMs < sinceMs) {
    throw new InvalidArgumentError(`untilMs ${untilMs} is before sinceMs ${sinceMs}`, {
      field: 'untilMs',
    });
  }
  let agentId: string | undefined;
  if (query.agentId !== undefined) {
    checkText('agentId', query.agentId, 1024);
    if (query.agentId === '') {
      throw new InvalidArgumentError('agentId must not be empty; omit it to match every agent', {
        field: 'agentId',
      });
    }
    agentId = query.agentId;
  }
  const exactActions: string[] = [];
  const actionPrefixes: string[] = [];
  if (query.actions !== undefined) {
    if (!Array.isArray(query.actions)) {
      throw new InvalidArgumentError('actions must be an array of strings', { field: 'actions' });
    }
    if (query.actions.length > AUDIT_QUERY_LIMITS.maxActions) {
      throw new InvalidArgumentError(
        `actions must have at most ${AUDIT_QUERY_LIMITS.maxActions} items, got ${query.actions.length}`,
        { field: 'actions' },
      );
    }
    for (const [i, action] of query.actions.entries()) {
      checkText(`actions[${i}]`, action, 1024);
      const name = action as string;
      if (name === '' || name === '.') {
        throw new InvalidArgumentError(
          `actions[${i}] must be an action name (message.sent) or a prefix ending in '.' (message.)`,
          { field: `actions[${i}]` },
        );
      }
      (name.endsWith('.') ? actionPrefixes : exactActions).push(name);
    }
  }
  if (query.outcome !== undefined && !OUTCOMES.includes(query.outcome)) {
    throw new InvalidArgumentError(
      `outcome must be one of ${OUTCOMES.join(', ')}, got ${String(query.outcome)}`,
      { field: 'outcome' },
    );
  }
  const pageSize = query.pageSize ?? AUDIT_QUERY_LIMITS.defaultPageSize;
  if (
    !Number.isSafeInteger(pageSize) ||
    pageSize < 1 ||
    pageSize > AUDIT_QUERY_LIMITS.maxPageSize
  ) {
    throw new InvalidArgumentError(
      `pageSize must be an integer from 1 to ${AUDIT_QUERY_LIMITS.maxPageSize}, got ${String(pageSize)}`,
      { field: 'pageSize' },
    );
  }
  let beforeSequence: number | undefined;
  if (query.pageToken !== undefined && query.pageToken !== '') {
    if (typeof query.pageToken !== 'string') {
      throw new InvalidArgumentError('pageToken must be a string', { field: 'pageToken' });
    }
    beforeSequence = decodePageToken(query.pageToken);
  }
  return {
    sinceMs,
    untilMs,
    agentId,
    exactActions,
    actionPrefixes,
    outcome: query.outcome,
    pageSize,
    beforeSequence,
  };
}
