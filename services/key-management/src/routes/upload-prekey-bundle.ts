/**
 * UploadPrekeyBundle: the calling agent uploads its signed medium-term prekey and/or a batch of
 * one-time prekeys, each a Prekey statement signed by its current identity key. Every statement is
 * checked before anything is stored, so a bad batch stores nothing.
 */

import { toBinary } from '@bufbuild/protobuf';
import { AUDIT_ACTIONS } from '@proof-messenger/audit-log';
import { callerName, requireAgent } from '@proof-messenger/auth';
import type { CompositePublicKey } from '@proof-messenger/crypto';
import { InvalidArgumentError } from '@proof-messenger/errors';
import {
  PrekeySchema,
  type SignedStatement,
  SignedStatementSchema,
  type UploadPrekeyBundleRequest,
} from '@proof-messenger/proto';
import { verifyStatement } from '@proof-messenger/protocol';
import type { HandlerContext } from '@proof-messenger/rpc';
import { callerOf, type KeyManagementContext } from '../context.ts';
import { checkKemKeyUsable, currentIdentity } from '../statement-checks.ts';

/** Most one-time prekeys in one upload, and in an agent's pool. */
export const MAX_ONE_TIME_PER_UPLOAD = 200;
export const MAX_ONE_TIME_POOL = 2000;

async function checkPrekey(
  ctx: KeyManagementContext,
  statement: SignedStatement,
  agentId: string,
  identityKey: CompositePublicKey,
  oneTime: boolean,
  field: string,
): Promise<string> {
  const prekey = await verifyStatement(ctx.provider, PrekeySchema, statement, identityKey, field);
  if (prekey.agentId !== agentId) {
    throw new InvalidArgumentError(
      `${field}.agent_id must be the caller (${agentId}), got "${prekey.agentId.slice(0, 140)}"`,
      {
        field: `${field}.agent_id`,
      },
    );
  }
  if (prekey.oneTime !== oneTime) {
    throw new InvalidArgumentError(`${field}.one_time must be ${oneTime}`, {
      field: `${field}.one_time`,
    });
  }
  return (await checkKemKeyUsable(ctx, prekey.key, `${field}.key`)).keyId;
}

export function uploadPrekeyBundle(ctx: KeyManagementContext) {
  return async (request: UploadPrekeyBundleRequest, call: HandlerContext) => {
    const { agentId } = requireAgent(await callerOf(ctx, call), 'upload prekeys');
    if (request.signedPrekey === undefined && request.oneTimePrekeys.length === 0) {
      throw new InvalidArgumentError(
        'nothing to upload: set signed_prekey and/or one_time_prekeys',
        { field: 'signed_prekey' },
      );
    }
    if (request.oneTimePrekeys.length > MAX_ONE_TIME_PER_UPLOAD) {
      throw new InvalidArgumentError(
        `one_time_prekeys must hold at most ${MAX_ONE_TIME_PER_UPLOAD} prekeys per upload, got ${request.oneTimePrekeys.length}`,
        { field: 'one_time_prekeys' },
      );
    }
    const { key: identityKey } = await currentIdentity(ctx, agentId);
    const signedKeyId =
      request.signedPrekey === undefined
        ? undefined
        : await checkPrekey(
            ctx,
            request.signedPrekey,
            agentId,
            identityKey,
            false,
            'signed_prekey',
          );
    const oneTime = await Promise.all(
      request.oneTimePrekeys.map(async (statement, i) => ({
        keyId: await checkPrekey(
          ctx,
          statement,
          agentId,
          identityKey,
          true,
          `one_time_prekeys[${i}]`,
        ),
        statement: toBinary(SignedStatementSchema, statement),
      })),
    );
    const before = await ctx.stores.prekeys.countOneTimePrekeys(agentId);
    if (before + oneTime.length > MAX_ONE_TIME_POOL) {
      throw new InvalidArgumentError(
        `the one-time prekey pool holds at most ${MAX_ONE_TIME_POOL}; ${agentId} has ${before}, so upload at most ${MAX_ONE_TIME_POOL - before}`,
        { field: 'one_time_prekeys' },
      );
    }
    const now = ctx.now();
    if (request.signedPrekey !== undefined && signedKeyId !== undefined) {
      await ctx.stores.prekeys.putSignedPrekey(
        agentId,
        signedKeyId,
        toBinary(SignedStatementSchema, request.signedPrekey),
        now,
      );
    }
    const remaining =
      oneTime.length > 0 ? await ctx.stores.prekeys.addOneTimePrekeys(agentId, oneTime) : before;
    ctx.audit.record({
      timeMs: now,
      actor: callerName({ kind: 'agent', agentId, keyId: identityKey.keyId }),
      action: AUDIT_ACTIONS.prekeysUploaded,
      target: agentId,
      outcome: 'success',
      reason: '',
      details: {
        signedPrekey: signedKeyId ?? '',
        oneTime: String(oneTime.length),
        remaining: String(remaining),
      },
    });
    return { oneTimePrekeysRemaining: remaining };
  };
}
