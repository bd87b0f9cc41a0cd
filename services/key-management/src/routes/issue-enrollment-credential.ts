/**
 * IssueEnrollmentCredential: a single-use, expiring secret that lets its holder register one
 * identity. Only the credential's SHA-256 is stored. Who may issue is the policy's decision
 * (action IssueEnrollmentCredential on the Platform; the default permits operators only), and
 * every issuer spends the `admin` rate limit.
 */
import { randomBytes } from 'node:crypto';
import { AUDIT_ACTIONS } from '@proof-messenger/audit-log';
import { callerName } from '@proof-messenger/auth';
import { InvalidArgumentError } from '@proof-messenger/errors';
import { principalOf } from '@proof-messenger/governance';
import { authorizeOrThrow, PLATFORM } from '@proof-messenger/policy';
import type { IssueEnrollmentCredentialRequest } from '@proof-messenger/proto';
import { checkAgentId } from '@proof-messenger/protocol';
import type { HandlerContext } from '@proof-messenger/rpc';
import { callerOf, type KeyManagementContext } from '../context.ts';

const DEFAULT_TTL_SECONDS = 24 * 3600;
const MAX_TTL_SECONDS = 30 * 24 * 3600;

export function issueEnrollmentCredential(ctx: KeyManagementContext) {
  return async (request: IssueEnrollmentCredentialRequest, call: HandlerContext) => {
    const caller = await callerOf(ctx, call);
    await ctx.rateLimiter.take(callerName(caller), 'admin');
    await authorizeOrThrow(
      ctx.authorizer,
      { principal: principalOf(caller), action: 'IssueEnrollmentCredential', resource: PLATFORM },
      'issue enrollment credentials',
    );
    if (request.agentId !== '') checkAgentId('agent_id', request.agentId);
    const ttlSeconds = request.ttlSeconds === 0 ? DEFAULT_TTL_SECONDS : request.ttlSeconds;
    if (ttlSeconds > MAX_TTL_SECONDS) {
      throw new InvalidArgumentError(
        `ttl_seconds must be at most ${MAX_TTL_SECONDS} (30 days), got ${ttlSeconds}`,
        {
          field: 'ttl_seconds',
        },
      );
    }
    const credential = `pmenr_${randomBytes(32).toString('base64url')}`;
    const now = ctx.now();
    const expiresAtMs = now + ttlSeconds * 1000;
    await ctx.stores.enrollments.issue(
      ctx.provider.sha256(new TextEncoder().encode(credential)),
      request.agentId === '' ? null : request.agentId,
      expiresAtMs,
      callerName(caller),
    );
    ctx.audit.record({
      timeMs: now,
      actor: callerName(caller),
      action: AUDIT_ACTIONS.enrollmentIssued,
      target: request.agentId || '*',
      outcome: 'success',
      reason: '',
      details: { expiresAtMs: String(expiresAtMs) },
    });
    return { credential, expiresAtMs: BigInt(expiresAtMs) };
  };
}
