/**
 * JSON for identity records in the Redis cache, bytes as base64. Versioned: a value this code
 * cannot read (another version, or damaged) decodes to `undefined` and is treated as a miss, so a
 * rolling upgrade that changes the format only costs cache hits.
 */
import type { IdentityKeyRecord, IdentityRecord, KeyState } from '../../ports/identity-store.ts';

const VERSION = 1;

interface KeyJson {
  agentId: string;
  keyId: string;
  mlDsa65: string;
  ed25519: string;
  state: KeyState;
  notBeforeMs: number;
  notAfterMs: number | null;
  revokedAtMs: number | null;
  revocationReason: string;
}

interface IdentityJson {
  agentId: string;
  registeredAtMs: number;
  revoked: boolean;
  revokedAtMs: number | null;
  revocationReason: string;
  currentKey: KeyJson | null;
}

function keyToJson(key: IdentityKeyRecord): KeyJson {
  return {
    agentId: key.agentId,
    keyId: key.keyId,
    mlDsa65: Buffer.from(key.mlDsa65).toString('base64'),
    ed25519: Buffer.from(key.ed25519).toString('base64'),
    state: key.state,
    notBeforeMs: key.notBeforeMs,
    notAfterMs: key.notAfterMs,
    revokedAtMs: key.revokedAtMs,
    revocationReason: key.revocationReason,
  };
}

function keyFromJson(json: KeyJson): IdentityKeyRecord {
  return {
    ...json,
    mlDsa65: new Uint8Array(Buffer.from(json.mlDsa65, 'base64')),
    ed25519: new Uint8Array(Buffer.from(json.ed25519, 'base64')),
  };
}

function decode(text: string): { found: boolean; value: unknown } | undefined {
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== 'object' || parsed === null) return undefined;
    if (Reflect.get(parsed, 'v') !== VERSION) return undefined;
    const value: unknown = Reflect.get(parsed, 'value');
    return { found: value !== null, value };
  } catch {
    return undefined;
  }
}

/** An identity (or its absence) as cached text. */
export function encodeIdentity(identity: IdentityRecord | undefined): string {
  const value: IdentityJson | null =
    identity === undefined
      ? null
      : {
          ...identity,
          currentKey: identity.currentKey === null ? null : keyToJson(identity.currentKey),
        };
  return JSON.stringify({ v: VERSION, value });
}

/** A key (or its absence) as cached text. */
export function encodeKey(key: IdentityKeyRecord | undefined): string {
  return JSON.stringify({ v: VERSION, value: key === undefined ? null : keyToJson(key) });
}

/** `{ value }` for a readable cached identity (value undefined when absent), else undefined. */
export function decodeIdentity(text: string): { value: IdentityRecord | undefined } | undefined {
  const decoded = decode(text);
  if (decoded === undefined) return undefined;
  if (!decoded.found) return { value: undefined };
  const json = decoded.value as IdentityJson;
  return {
    value: { ...json, currentKey: json.currentKey === null ? null : keyFromJson(json.currentKey) },
  };
}

/** `{ value }` for a readable cached key (value undefined when absent), else undefined. */
export function decodeKey(text: string): { value: IdentityKeyRecord | undefined } | undefined {
  const decoded = decode(text);
  if (decoded === undefined) return undefined;
  return { value: decoded.found ? keyFromJson(decoded.value as KeyJson) : undefined };
}
