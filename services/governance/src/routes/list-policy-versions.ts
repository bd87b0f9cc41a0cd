/** ListPolicyVersions: stored versions newest first, without text (ReadPolicies). */
import { InvalidArgumentError } from '@proof-messenger/errors';
import type { ListPolicyVersionsRequest } from '@proof-messenger/proto';
import type { HandlerContext } from '@proof-messenger/rpc';
import { authorizedCaller, type GovernanceContext } from '../context.ts';
import { toPolicyVersionMessage } from '../policy-messages.ts';

const MAX_PAGE = 100;

export function listPolicyVersions(ctx: GovernanceContext) {
  return async (request: ListPolicyVersionsRequest, call: HandlerContext) => {
    if (request.pageSize > MAX_PAGE) {
      throw new InvalidArgumentError(`page_size must be 0-${MAX_PAGE}, got ${request.pageSize}`, {
        field: 'page_size',
      });
    }
    if (request.pageToken.length > 64) {
      throw new InvalidArgumentError('page_token is not one this service issued', {
        field: 'page_token',
      });
    }
    await authorizedCaller(ctx, call, 'ReadPolicies', 'read policies');
    const page = await ctx.policies.list(request.pageSize || 20, request.pageToken);
    return {
      versions: page.versions.map(toPolicyVersionMessage),
      nextPageToken: page.nextPageToken,
    };
  };
}
