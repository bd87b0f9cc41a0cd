/**
 * RotateSessionKey: the caller installs a new KEM public key for its session with a peer (the
 * private key never leaves the agent). The previous key stays accepted for the grace period
 * (default 7 days; none for an emergency rotation), and the scheduler will ask for the next
 * rotation according to the schedule.
 */

import { toBinary } from '@bufbuild/protobuf';
import { AUDIT_ACTIONS } from '@proof-messenger/audit-log';
import { callerName, requireAgent } from '@proof-messenger/auth';
import { InvalidArgumentError } from '@proof-messenger/errors';
import {
  type RotateSessionKeyRequest,
  RotationSchedule,
  SessionKeySchema,
  SignedStatementSchema,
} from '@proof-messenger/proto';
import { checkAgentId, verifyStatement } from '@proof-messenger/protocol';
import type { HandlerContext } from '@proof-messenger/rpc';
import { callerOf, type KeyManagementContext } from '../context.ts';
import type { ScheduleNumber } from '../ports/session-key-store.ts';
import { checkFresh, checkKemKeyUsable, currentIdentity } from '../statement-checks.ts';

const HOUR = 3_600_000;

/** How long until the next scheduled rotation; null when only the agent decides. */
export function rotationPeriodMs(schedule: ScheduleNumber): number | null {
  switch (schedule) {
    case RotationSchedule.HOURLY:
      return HOUR;
    case RotationSchedule.DAILY:
      return 24 * HOUR;
    case RotationSchedule.WEEKLY:
      return 7 * 24 * HOUR;
    default:
      return null;
  }
}

export function rotateSessionKey(ctx: KeyManagementContext) {
  return async (request: RotateSessionKeyRequest, call: HandlerContext) => {
    const caller = requireAgent(await callerOf(ctx, call), 'rotate session keys');
    const { key: identityKey } = await currentIdentity(ctx, caller.agentId);
    const statement = request.sessionKey;
    if (statement === undefined) {
      throw new InvalidArgumentError('session_key is required: a signed SessionKey', {
        field: 'session_key',
      });
    }
    const session = await verifyStatement(
      ctx.provider,
      SessionKeySchema,
      statement,
      identityKey,
      'session_key',
    );
    if (session.ownerId !== caller.agentId) {
      throw new InvalidArgumentError(
        `session_key.owner_id must be the caller (${caller.agentId})`,
        {
          field: 'session_key.owner_id',
        },
      );
    }
    const peerId = checkAgentId('session_key.peer_id', session.peerId);
    const kemKey = await checkKemKeyUsable(ctx, session.key, 'session_key.key');
    checkFresh(ctx, session.createdAtMs, 'session_key.created_at_ms');
    if (session.schedule < 0 || session.schedule > RotationSchedule.EMERGENCY) {
      throw new InvalidArgumentError(`session_key.schedule must be 0-5, got ${session.schedule}`, {
        field: 'session_key.schedule',
      });
    }
    const schedule = (
      session.schedule === RotationSchedule.UNSPECIFIED ? RotationSchedule.DAILY : session.schedule
    ) as ScheduleNumber;
    const now = ctx.now();
    const period = rotationPeriodMs(schedule);
    const graceMs = schedule === RotationSchedule.EMERGENCY ? 0 : ctx.config.sessionGraceMs;
    const { previousGraceEndsAtMs } = await ctx.stores.sessions.rotate({
      ownerId: caller.agentId,
      peerId,
      keyId: kemKey.keyId,
      statement: toBinary(SignedStatementSchema, statement),
      schedule,
      nowMs: now,
      graceMs,
      nextRotationAtMs: period === null ? null : now + period,
    });
    ctx.audit.record({
      timeMs: now,
      actor: callerName(caller),
      action: AUDIT_ACTIONS.sessionKeyRotated,
      target: `${caller.agentId}->${peerId}`,
      outcome: 'success',
      reason: schedule === RotationSchedule.EMERGENCY ? 'emergency' : '',
      details: { keyId: kemKey.keyId, graceEndsAtMs: String(previousGraceEndsAtMs ?? '') },
    });
    return {
      currentKeyId: kemKey.keyId,
      previousKeyGraceEndsAtMs: BigInt(previousGraceEndsAtMs ?? 0),
    };
  };
}
