/**
 * QueryAuditEvents: entries by time range, agent and event type, newest first, in pages; needs
 * ReadAudit. Every filter is checked here, before the query runs.
 */
import { InvalidArgumentError } from '@proof-messenger/errors';
import type { QueryAuditEventsRequest } from '@proof-messenger/proto';
import type { HandlerContext } from '@proof-messenger/rpc';
import { toAuditEntryMessage } from '../audit-messages.ts';
import { authorizedCaller, type GovernanceContext } from '../context.ts';
import { optionalTime } from './audit-arguments.ts';

const MAX_ACTIONS = 32;
const MAX_NAME = 128;
const MAX_PAGE = 1000;
const MAX_TOKEN = 256;
const OUTCOMES = ['success', 'denied', 'failure'] as const;

function checkActions(actions: readonly string[]): readonly string[] {
  if (actions.length > MAX_ACTIONS) {
    throw new InvalidArgumentError(`at most ${MAX_ACTIONS} actions, got ${actions.length}`, {
      field: 'actions',
    });
  }
  for (const [i, action] of actions.entries()) {
    if (!/^[a-z0-9_.]{1,128}$/.test(action) || action.length > MAX_NAME) {
      throw new InvalidArgumentError(
        `actions[${i}] must be an event name such as message.sent or a prefix such as message.`,
        { field: `actions[${i}]` },
      );
    }
  }
  return actions;
}

export function queryAuditEvents(ctx: GovernanceContext) {
  return async (request: QueryAuditEventsRequest, call: HandlerContext) => {
    const sinceMs = optionalTime('since_ms', request.sinceMs);
    const untilMs = optionalTime('until_ms', request.untilMs);
    if (sinceMs !== undefined && untilMs !== undefined && sinceMs > untilMs) {
      throw new InvalidArgumentError('since_ms must not be after until_ms', { field: 'since_ms' });
    }
    const actions = checkActions(request.actions);
    if (request.outcome !== '' && !(OUTCOMES as readonly string[]).includes(request.outcome)) {
      throw new InvalidArgumentError(`outcome must be empty or one of ${OUTCOMES.join(', ')}`, {
        field: 'outcome',
      });
    }
    if (request.pageSize > MAX_PAGE) {
      throw new InvalidArgumentError(`page_size must be 0-${MAX_PAGE}, got ${request.pageSize}`, {
        field: 'page_size',
      });
    }
    if (request.pageToken.length > MAX_TOKEN) {
      throw new InvalidArgumentError('page_token is not one this service issued', {
        field: 'page_token',
      });
    }
    if (request.agentId.length > MAX_NAME) {
      throw new InvalidArgumentError(`agent_id must be at most ${MAX_NAME} characters`, {
        field: 'agent_id',
      });
    }
    await authorizedCaller(ctx, call, 'ReadAudit', 'read the audit log');
    const page = await ctx.trail.query({
      ...(sinceMs === undefined ? {} : { sinceMs }),
      ...(untilMs === undefined ? {} : { untilMs }),
      ...(request.agentId === '' ? {} : { agentId: request.agentId }),
      ...(actions.length === 0 ? {} : { actions }),
      ...(request.outcome === '' ? {} : { outcome: request.outcome as (typeof OUTCOMES)[number] }),
      pageSize: request.pageSize === 0 ? 100 : request.pageSize,
      ...(request.pageToken === '' ? {} : { pageToken: request.pageToken }),
    });
    return { entries: page.entries.map(toAuditEntryMessage), nextPageToken: page.nextPageToken };
  };
}
