/**
 * IssueEnrollmentCredential (operators only): a single-use, expiring secret that lets its holder
 * register one identity. Only the credential's SHA-256 is stored.
 */
import { randomBytes } from 'node:crypto';
import { callerName, requireOperator } from '@proof-messenger/auth';
import { InvalidArgumentError } from '@proof-messenger/errors';
import type { IssueEnrollmentCredentialRequest } from '@proof-messenger/proto';
import { checkAgentId } from '@proof-messenger/protocol';
import type { HandlerContext } from '@proof-messenger/rpc';
import { callerOf, type KeyManagementContext } from '../context.ts';

const DEFAULT_TTL_SECONDS = 24 * 3600;
const MAX_TTL_SECONDS = 30 * 24 * 3600;

export function issueEnrollmentCredential(ctx: KeyManagementContext) {
  return async (request: IssueEnrollmentCredentialRequest, call: HandlerContext) => {
    const caller = await callerOf(ctx, call);
    requireOperator(caller, 'issue enrollment credentials');
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
    await ctx.stores.audit.append({
      atMs: now,
      actor: callerName(caller),
      action: 'enrollment.issued',
      target: request.agentId || '*',
      outcome: 'success',
      reason: '',
      details: { expiresAtMs: String(expiresAtMs) },
    });
    return { credential, expiresAtMs: BigInt(expiresAtMs) };
  };
}
