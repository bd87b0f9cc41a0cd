/**
 * The KeyManagementService implementation: one handler per RPC, each in `routes/`, all sharing
 * one context. Every handler authenticates its caller first except Authenticate and
 * RegisterIdentity, which are how a caller gets an identity and a token in the first place.
 */
import type { KeyManagementService } from '@proof-messenger/proto';
import type { ServiceImplementation } from '@proof-messenger/rpc';
import type { KeyManagementContext } from './context.ts';
import { authenticate } from './routes/authenticate.ts';
import { fetchPrekeyBundle } from './routes/fetch-prekey-bundle.ts';
import { getIdentity } from './routes/get-identity.ts';
import { getPrekeyCount } from './routes/get-prekey-count.ts';
import { getSessionKeys } from './routes/get-session-keys.ts';
import { issueEnrollmentCredential } from './routes/issue-enrollment-credential.ts';
import { listKeyHistory } from './routes/list-key-history.ts';
import { listRotationNotices } from './routes/list-rotation-notices.ts';
import { registerIdentity } from './routes/register-identity.ts';
import { revokeKey } from './routes/revoke-key.ts';
import { rotateIdentityKey } from './routes/rotate-identity-key.ts';
import { rotateSessionKey } from './routes/rotate-session-key.ts';
import { uploadPrekeyBundle } from './routes/upload-prekey-bundle.ts';

/** Handlers for every KeyManagementService RPC. */
export function keyManagementImplementation(
  ctx: KeyManagementContext,
): ServiceImplementation<typeof KeyManagementService> {
  return {
    authenticate: authenticate(ctx),
    issueEnrollmentCredential: issueEnrollmentCredential(ctx),
    registerIdentity: registerIdentity(ctx),
    getIdentity: getIdentity(ctx),
    rotateIdentityKey: rotateIdentityKey(ctx),
    revokeKey: revokeKey(ctx),
    listKeyHistory: listKeyHistory(ctx),
    uploadPrekeyBundle: uploadPrekeyBundle(ctx),
    fetchPrekeyBundle: fetchPrekeyBundle(ctx),
    getPrekeyCount: getPrekeyCount(ctx),
    rotateSessionKey: rotateSessionKey(ctx),
    getSessionKeys: getSessionKeys(ctx),
    listRotationNotices: listRotationNotices(ctx),
  };
}
