/**
 * RotateIdentityKey: replaces an agent's identity key. The old key stays in the history with its
 * validity window, so what it signed before the rotation still verifies as of that time.
 *
 * The rotation statement is signed by the current key (the holder authorizes it) and the same
 * statement bytes are signed by the new key (proof of possession). An operator may rotate without
 * the current key's signature — the recovery path when an agent lost its key — but never without
 * the new key's proof.
 *
 * Who may rotate is the policy's decision (action RotateIdentityKey on Agent::"<agentId>"; the
 * default permits the agent itself and operators); rotating another agent's key spends the
 * caller's `admin` rate limit.
 */
import { fromBinary } from '@bufbuild/protobuf';
import { AUDIT_ACTIONS } from '@proof-messenger/audit-log';
import { callerName } from '@proof-messenger/auth';
import { equalBytes } from '@proof-messenger/crypto';
import { InvalidArgumentError, KeyExpiredError } from '@proof-messenger/errors';
import { principalOf } from '@proof-messenger/governance';
import { authorizeOrThrow } from '@proof-messenger/policy';
import { IdentityRotationSchema, type RotateIdentityKeyRequest } from '@proof-messenger/proto';
import { checkAgentId, verifyStatement } from '@proof-messenger/protocol';
import type { HandlerContext } from '@proof-messenger/rpc';
import { callerOf, type KeyManagementContext, onOthersKeys } from '../context.ts';
import { toIdentityMessage } from '../records.ts';
import { checkFresh, currentIdentity, parseIdentityKey } from '../statement-checks.ts';

export function rotateIdentityKey(ctx: KeyManagementContext) {
  return async (request: RotateIdentityKeyRequest, call: HandlerContext) => {
    const caller = await callerOf(ctx, call);
    if (request.rotation === undefined || request.rotation.body.length === 0) {
      throw new InvalidArgumentError('rotation is required: a signed IdentityRotation', {
        field: 'rotation',
      });
    }
    let claimed: ReturnType<typeof fromBinary<typeof IdentityRotationSchema>>;
    try {
      claimed = fromBinary(IdentityRotationSchema, request.rotation.body);
    } catch (cause) {
      throw new InvalidArgumentError('rotation.body is not a valid IdentityRotation', {
        field: 'rotation',
        cause,
      });
    }
    const agentId = checkAgentId('rotation.agent_id', claimed.agentId);
    if (onOthersKeys(caller, agentId)) await ctx.rateLimiter.take(callerName(caller), 'admin');
    await authorizeOrThrow(
      ctx.authorizer,
      {
        principal: principalOf(caller),
        action: 'RotateIdentityKey',
        resource: { type: 'Agent', id: agentId },
      },
      `rotate the identity key of ${agentId}`,
    );
    const newKey = parseIdentityKey(ctx, claimed.newKey, 'rotation.new_key');
    checkFresh(ctx, claimed.createdAtMs, 'rotation.created_at_ms');
    const { key: current } = await currentIdentity(ctx, agentId);
    if (claimed.previousKeyId !== current.keyId) {
      throw new KeyExpiredError(
        `rotation.previous_key_id ${claimed.previousKeyId || '(empty)'} is not the current key of ${agentId} (${current.keyId})`,
        { field: 'rotation.previous_key_id' },
      );
    }
    if (caller.kind === 'agent') {
      await verifyStatement(
        ctx.provider,
        IdentityRotationSchema,
        request.rotation,
        current,
        'rotation',
      );
    }
    const proof = request.newKeyProof;
    if (proof === undefined || !equalBytes(proof.body, request.rotation.body)) {
      throw new InvalidArgumentError(
        'new_key_proof must carry the same body as rotation, signed by the new key',
        {
          field: 'new_key_proof',
        },
      );
    }
    await verifyStatement(ctx.provider, IdentityRotationSchema, proof, newKey, 'new_key_proof');

    const now = ctx.now();
    const identity = await ctx.stores.identities.rotate(agentId, current.keyId, newKey, now);
    ctx.audit.record({
      timeMs: now,
      actor: callerName(caller),
      action: AUDIT_ACTIONS.identityKeyRotated,
      target: agentId,
      outcome: 'success',
      reason: caller.kind === 'operator' ? 'operator recovery' : '',
      details: { previousKeyId: current.keyId, keyId: newKey.keyId },
    });
    ctx.log.info(
      { agentId, previousKeyId: current.keyId, keyId: newKey.keyId },
      'identity key rotated',
    );
    return { identity: toIdentityMessage(identity) };
  };
}
