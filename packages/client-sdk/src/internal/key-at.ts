/**
 * Choosing the identity key that was valid for a signature made at a given time, from an agent's
 * key history (KeyManagementService.ListKeyHistory). A key counts when its id is the one named,
 * it is not revoked, and its half-open validity window contains the time.
 */
import type { CompositePublicKey } from '@proof-messenger/crypto';
import { KeyRevokedError, KeyUnknownError } from '@proof-messenger/errors';
import { type KeyRecord, KeyStatus } from '@proof-messenger/proto';

/**
 * The key `keyId` of `agentId` if it was valid at `atMs`.
 * @throws KeyUnknownError when the history holds no such key or it was not valid then,
 *   KeyRevokedError when it was revoked
 */
export function keyValidAt(
  history: readonly KeyRecord[],
  agentId: string,
  keyId: string,
  atMs: bigint,
): CompositePublicKey {
  const record = history.find((candidate) => candidate.key?.keyId === keyId);
  if (record?.key === undefined)
    throw new KeyUnknownError(`${agentId} has no identity key ${keyId}`);
  if (record.status === KeyStatus.REVOKED)
    throw new KeyRevokedError(`identity key ${keyId} of ${agentId} is revoked`);
  const notBefore = record.validity?.notBeforeMs ?? 0n;
  const notAfter = record.validity?.notAfterMs ?? 0n;
  if (atMs < notBefore || (notAfter !== 0n && atMs >= notAfter)) {
    throw new KeyUnknownError(
      `identity key ${keyId} of ${agentId} was not valid at ${atMs} (valid from ${notBefore}${notAfter === 0n ? '' : ` until ${notAfter}`})`,
    );
  }
  const { mlDsa65, ed25519 } = record.key;
  return { keyId, mlDsa65, ed25519 };
}
