/** GetEntries: entries by sequence for a full offline check; needs ReadAudit. */
import { InvalidArgumentError } from '@proof-messenger/errors';
import type { GetEntriesRequest } from '@proof-messenger/proto';
import type { HandlerContext } from '@proof-messenger/rpc';
import { toAuditEntryMessage } from '../audit-messages.ts';
import { authorizedCaller, type GovernanceContext } from '../context.ts';
import { position } from './audit-arguments.ts';

const MAX_COUNT = 1000;

export function getEntries(ctx: GovernanceContext) {
  return async (request: GetEntriesRequest, call: HandlerContext) => {
    const start = position('start', request.start);
    if (request.count < 1 || request.count > MAX_COUNT) {
      throw new InvalidArgumentError(`count must be 1-${MAX_COUNT}, got ${request.count}`, {
        field: 'count',
      });
    }
    await authorizedCaller(ctx, call, 'ReadAudit', 'read the audit log');
    const entries = await ctx.trail.entries(start, request.count);
    return { entries: entries.map(toAuditEntryMessage) };
  };
}
