/** Conversions from store records to wire messages. */
import { create } from '@bufbuild/protobuf';
import {
  type IdentityRecord as IdentityMessage,
  IdentityRecordSchema,
  type KeyRecord,
  KeyRecordSchema,
  KeyStatus,
} from '@proof-messenger/proto';
import type { IdentityKeyRecord, IdentityRecord } from './ports/identity-store.ts';

const STATUS = {
  current: KeyStatus.CURRENT,
  superseded: KeyStatus.SUPERSEDED,
  revoked: KeyStatus.REVOKED,
} as const;

/** A key record as `proofmessenger.v1.KeyRecord`. */
export function toKeyRecord(key: IdentityKeyRecord): KeyRecord {
  return create(KeyRecordSchema, {
    key: { keyId: key.keyId, mlDsa65: key.mlDsa65, ed25519: key.ed25519 },
    status: STATUS[key.state],
    validity: { notBeforeMs: BigInt(key.notBeforeMs), notAfterMs: BigInt(key.notAfterMs ?? 0) },
    revocationReason: key.revocationReason,
  });
}

/** An identity as `proofmessenger.v1.IdentityRecord`. */
export function toIdentityMessage(identity: IdentityRecord): IdentityMessage {
  return create(IdentityRecordSchema, {
    agentId: identity.agentId,
    currentKey: identity.currentKey === null ? undefined : toKeyRecord(identity.currentKey),
    revoked: identity.revoked,
    registeredAtMs: BigInt(identity.registeredAtMs),
  });
}
