/**
 * RegisterIdentity: an agent registers its id with a composite identity key. The registration
 * statement must be signed by the key it registers (proof of possession of both private keys),
 * be fresh, and come with an operator-issued enrollment credential — unless the server allows
 * open registration from loopback (the embedded development default).
 *
 * Order matters: every check that can fail on bad input runs before the credential is consumed,
 * so a malformed request never burns a credential and nothing is stored. The `register` rate
 * limit is taken before the signature is verified (the expensive part), twice: per client address
 * (`peer:<address>`), because the caller is unauthenticated and can name any agent id, so only
 * the address bounds a flood; and per agent id being registered (`agent:<id>`), which bounds
 * attempts on one id even when they come from many addresses. The `agent:` prefix matters: agent
 * ids may contain ':', and a bare id such as `peer:10.0.0.7` would otherwise let anyone drain
 * that address's bucket.
 */
import { fromBinary } from '@bufbuild/protobuf';
import { AUDIT_ACTIONS } from '@proof-messenger/audit-log';
import {
  AlreadyExistsError,
  InvalidArgumentError,
  PolicyDeniedError,
  UnauthenticatedError,
} from '@proof-messenger/errors';
import { IdentityRegistrationSchema, type RegisterIdentityRequest } from '@proof-messenger/proto';
import { checkAgentId, verifyStatement } from '@proof-messenger/protocol';
import type { HandlerContext } from '@proof-messenger/rpc';
import type { KeyManagementContext } from '../context.ts';
import { peerAddress } from '../peer-address.ts';
import type { EnrollmentOutcome } from '../ports/enrollment-store.ts';
import { toIdentityMessage } from '../records.ts';
import { checkFresh, parseIdentityKey } from '../statement-checks.ts';

/** True for a grpc-js peer string on the loopback interface (`127.x.x.x:port`, `[::1]:port`). */
export function isLoopbackPeer(peer: string): boolean {
  const address = peer.replace(/^ipv[46]:/, '');
  return address.startsWith('127.') || address.startsWith('[::1]') || address.startsWith('::1');
}

const CREDENTIAL_ERRORS: Record<Exclude<EnrollmentOutcome, 'ok'>, () => Error> = {
  unknown: () =>
    new UnauthenticatedError('enrollment_credential is not valid; ask an operator for a new one'),
  expired: () =>
    new UnauthenticatedError('enrollment_credential has expired; ask an operator for a new one'),
  used: () =>
    new UnauthenticatedError(
      'enrollment_credential was already used; ask an operator for a new one',
    ),
  'wrong-agent': () =>
    new PolicyDeniedError('enrollment_credential was issued for another agent id'),
};

export function registerIdentity(ctx: KeyManagementContext) {
  return async (request: RegisterIdentityRequest, call: HandlerContext) => {
    await ctx.rateLimiter.take(`peer:${peerAddress(call.peer)}`, 'register');
    const field = 'registration';
    if (request.registration === undefined || request.registration.body.length === 0) {
      throw new InvalidArgumentError('registration is required: a signed IdentityRegistration', {
        field,
      });
    }
    let claimed: ReturnType<typeof fromBinary<typeof IdentityRegistrationSchema>>;
    try {
      claimed = fromBinary(IdentityRegistrationSchema, request.registration.body);
    } catch (cause) {
      throw new InvalidArgumentError('registration.body is not a valid IdentityRegistration', {
        field,
        cause,
      });
    }
    const agentId = checkAgentId('registration.agent_id', claimed.agentId);
    await ctx.rateLimiter.take(`agent:${agentId}`, 'register');
    const key = parseIdentityKey(ctx, claimed.identityKey, 'registration.identity_key');
    checkFresh(ctx, claimed.createdAtMs, 'registration.created_at_ms');
    await verifyStatement(
      ctx.provider,
      IdentityRegistrationSchema,
      request.registration,
      key,
      field,
    );
    if ((await ctx.stores.identities.get(agentId)) !== undefined) {
      throw new AlreadyExistsError(`agent ${agentId} is already registered`, {
        field: 'registration.agent_id',
      });
    }
    if (await ctx.stores.identities.keyIdTaken(key.keyId)) {
      throw new AlreadyExistsError(
        `identity key ${key.keyId} is already registered; generate a new key`,
        {
          field: 'registration.identity_key.key_id',
        },
      );
    }

    const now = ctx.now();
    if (request.enrollmentCredential === '') {
      if (ctx.config.openRegistration !== 'loopback' || !isLoopbackPeer(call.peer)) {
        throw new UnauthenticatedError(
          'enrollment_credential is required: ask an operator to issue one (IssueEnrollmentCredential)',
          { field: 'enrollment_credential' },
        );
      }
    } else {
      const hash = ctx.provider.sha256(new TextEncoder().encode(request.enrollmentCredential));
      const outcome = await ctx.stores.enrollments.consume(hash, agentId, now);
      if (outcome !== 'ok') {
        ctx.audit.record({
          timeMs: now,
          actor: agentId,
          action: AUDIT_ACTIONS.identityRegistered,
          target: agentId,
          outcome: 'denied',
          reason: `enrollment credential ${outcome}`,
          details: {},
        });
        throw CREDENTIAL_ERRORS[outcome]();
      }
    }
    const identity = await ctx.stores.identities.register(agentId, key, now);
    ctx.audit.record({
      timeMs: now,
      actor: agentId,
      action: AUDIT_ACTIONS.identityRegistered,
      target: agentId,
      outcome: 'success',
      reason:
        request.enrollmentCredential === ''
          ? 'open registration (loopback)'
          : 'enrollment credential',
      details: { keyId: key.keyId },
    });
    ctx.log.info({ agentId, keyId: key.keyId }, 'identity registered');
    return { identity: toIdentityMessage(identity) };
  };
}
