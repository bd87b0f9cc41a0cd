/**
 * Checks shared by the RPCs that take signed statements: freshness of the statement's time, the
 * shape of composite public keys, and loading the key a statement must be signed with.
 */
import {
  COMPOSITE_SIZES,
  type CompositePublicKey,
  compositePublicKey,
} from '@proof-messenger/crypto';
import {
  InvalidArgumentError,
  KeyRevokedError,
  NotFoundError,
  StaleTimestampError,
} from '@proof-messenger/errors';
import type { IdentityPublicKey, KemPublicKey } from '@proof-messenger/proto';
import { checkKemPublicKeyUsable } from '@proof-messenger/protocol';
import type { KeyManagementContext } from './context.ts';
import type { IdentityRecord } from './ports/identity-store.ts';

/**
 * Refuses statements made too long ago or in the future (replayed or badly clocked).
 * @throws StaleTimestampError
 */
export function checkFresh(ctx: KeyManagementContext, atMs: bigint, field: string): void {
  const skew = Number(atMs) - ctx.now();
  if (Math.abs(skew) > ctx.config.statementWindowMs) {
    throw new StaleTimestampError(
      `${field} is ${Math.round(Math.abs(skew) / 1000)} s ${skew < 0 ? 'in the past' : 'in the future'}; it must be within ${ctx.config.statementWindowMs / 1000} s of the server clock`,
      { field },
    );
  }
}

/**
 * A composite public key from its wire form, with its key id checked against the bytes.
 * @throws InvalidArgumentError naming the wrong part
 */
export function parseIdentityKey(
  ctx: KeyManagementContext,
  key: IdentityPublicKey | undefined,
  field: string,
): CompositePublicKey {
  if (key === undefined) throw new InvalidArgumentError(`${field} is required`, { field });
  if (key.mlDsa65.length !== COMPOSITE_SIZES.mlDsa65PublicKey) {
    throw new InvalidArgumentError(
      `${field}.ml_dsa_65 must be ${COMPOSITE_SIZES.mlDsa65PublicKey} bytes, got ${key.mlDsa65.length}`,
      { field: `${field}.ml_dsa_65` },
    );
  }
  if (key.ed25519.length !== COMPOSITE_SIZES.ed25519PublicKey) {
    throw new InvalidArgumentError(
      `${field}.ed25519 must be ${COMPOSITE_SIZES.ed25519PublicKey} bytes, got ${key.ed25519.length}`,
      { field: `${field}.ed25519` },
    );
  }
  const parsed = compositePublicKey(ctx.provider, key.mlDsa65, key.ed25519);
  if (parsed.keyId !== key.keyId) {
    throw new InvalidArgumentError(
      `${field}.key_id must be the fingerprint of the key (${parsed.keyId}), got "${key.keyId.slice(0, 40)}"`,
      { field: `${field}.key_id` },
    );
  }
  return parsed;
}

/**
 * The identity and its current key, for checking what the agent signs now.
 * @throws NotFoundError for an unknown agent, KeyRevokedError for a revoked identity
 */
export async function currentIdentity(
  ctx: KeyManagementContext,
  agentId: string,
): Promise<{ identity: IdentityRecord; key: CompositePublicKey }> {
  const identity = await ctx.stores.identities.get(agentId);
  if (identity === undefined)
    throw new NotFoundError(`agent ${agentId} is not registered`, { field: 'agent_id' });
  if (identity.revoked || identity.currentKey === null) {
    throw new KeyRevokedError(
      `agent ${agentId} is revoked: ${identity.revocationReason || 'no reason given'}`,
    );
  }
  const current = identity.currentKey;
  return {
    identity,
    key: { keyId: current.keyId, mlDsa65: current.mlDsa65, ed25519: current.ed25519 },
  };
}

/** checkKemPublicKeyUsable of @proof-messenger/protocol, with this service's provider. */
export function checkKemKeyUsable(
  ctx: KeyManagementContext,
  key: KemPublicKey | undefined,
  field: string,
): Promise<KemPublicKey> {
  return checkKemPublicKeyUsable(ctx.provider, key, field);
}
