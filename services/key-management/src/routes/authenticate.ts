/**
 * Authenticate: a signed AuthenticationStatement → an access token. The statement must be fresh,
 * for this audience, signed by the agent's current identity key, and its nonce never seen before
 * (remembered for twice the freshness window, so a captured statement cannot be replayed).
 */
import { fromBinary } from '@bufbuild/protobuf';
import { InvalidArgumentError, ReplayError } from '@proof-messenger/errors';
import { type AuthenticateRequest, AuthenticationStatementSchema } from '@proof-messenger/proto';
import { checkAgentId, verifyStatement } from '@proof-messenger/protocol';
import type { KeyManagementContext } from '../context.ts';
import { checkFresh, currentIdentity } from '../statement-checks.ts';

/** The audience every authentication statement must name. */
export const AUDIENCE = 'proof-messenger';

export function authenticate(ctx: KeyManagementContext) {
  return async (request: AuthenticateRequest) => {
    const field = 'statement';
    if (request.statement === undefined || request.statement.body.length === 0) {
      throw new InvalidArgumentError('statement is required: a signed AuthenticationStatement', {
        field,
      });
    }
    let claimed: ReturnType<typeof fromBinary<typeof AuthenticationStatementSchema>>;
    try {
      claimed = fromBinary(AuthenticationStatementSchema, request.statement.body);
    } catch (cause) {
      throw new InvalidArgumentError('statement.body is not a valid AuthenticationStatement', {
        field,
        cause,
      });
    }
    checkAgentId('statement.agent_id', claimed.agentId);
    if (claimed.audience !== AUDIENCE) {
      throw new InvalidArgumentError(
        `statement.audience must be "${AUDIENCE}", got "${claimed.audience.slice(0, 40)}"`,
        {
          field: 'statement.audience',
        },
      );
    }
    if (!/^[A-Za-z0-9_-]{22,128}$/.test(claimed.nonce)) {
      throw new InvalidArgumentError('statement.nonce must be 16 to 96 random bytes in base64url', {
        field: 'statement.nonce',
      });
    }
    checkFresh(ctx, claimed.issuedAtMs, 'statement.issued_at_ms');
    const { key } = await currentIdentity(ctx, claimed.agentId);
    if (claimed.keyId !== key.keyId) {
      throw new InvalidArgumentError(
        `statement.key_id must be the current identity key of ${claimed.agentId} (${key.keyId}), got "${claimed.keyId.slice(0, 40)}"`,
        { field: 'statement.key_id' },
      );
    }
    await verifyStatement(
      ctx.provider,
      AuthenticationStatementSchema,
      request.statement,
      key,
      field,
    );
    const now = ctx.now();
    const fresh = await ctx.stores.nonces.remember(
      `auth:${claimed.agentId}:${claimed.nonce}`,
      2 * ctx.config.statementWindowMs,
      now,
    );
    if (!fresh)
      throw new ReplayError('statement.nonce was already used; sign a new statement', {
        field: 'statement.nonce',
      });
    const { token, expiresAtMs } = ctx.tokens.issue(
      claimed.agentId,
      key.keyId,
      now,
      ctx.config.accessTokenTtlMs,
    );
    return { accessToken: token, expiresAtMs: BigInt(expiresAtMs) };
  };
}
