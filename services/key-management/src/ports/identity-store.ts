/**
 * Port: agent identities and the full history of their identity keys. Adapters: embedded
 * (node:sqlite) and distributed (PostgreSQL); both pass `test/contract/identity-store.contract.ts`.
 *
 * Time is always passed in (milliseconds since the Unix epoch) so tests control it and every
 * instance agrees on what "now" was for a given change.
 */

/** Lifecycle state of one identity key. */
export type KeyState = 'current' | 'superseded' | 'revoked';

/** The public half of an identity key as registered. */
export interface NewIdentityKey {
  readonly keyId: string;
  readonly mlDsa65: Uint8Array;
  readonly ed25519: Uint8Array;
}

/** One identity key and when it was valid for signing new messages. */
export interface IdentityKeyRecord extends NewIdentityKey {
  readonly agentId: string;
  readonly state: KeyState;
  /** First instant the key signs new messages. */
  readonly notBeforeMs: number;
  /** First instant it no longer does (rotation or revocation); null while current. */
  readonly notAfterMs: number | null;
  /** When it was revoked; null unless revoked. */
  readonly revokedAtMs: number | null;
  readonly revocationReason: string;
}

/** An agent identity. */
export interface IdentityRecord {
  readonly agentId: string;
  readonly registeredAtMs: number;
  /** True when the whole identity was revoked (no current key any more). */
  readonly revoked: boolean;
  readonly revokedAtMs: number | null;
  readonly revocationReason: string;
  /** The current key; null when the identity is revoked. */
  readonly currentKey: IdentityKeyRecord | null;
}

export interface IdentityStore {
  /**
   * Registers a new identity with its first key.
   * @throws AlreadyExistsError when the agent id is taken, or the key id is already registered
   */
  register(agentId: string, key: NewIdentityKey, atMs: number): Promise<IdentityRecord>;
  /** The identity, or undefined when unknown. */
  get(agentId: string): Promise<IdentityRecord | undefined>;
  /** Every key of the agent, oldest first; empty when unknown. */
  history(agentId: string): Promise<IdentityKeyRecord[]>;
  /** True when `keyId` is registered for any agent (key ids are globally unique). */
  keyIdTaken(keyId: string): Promise<boolean>;
  /** One key of the agent by key id, in any state. */
  findKey(agentId: string, keyId: string): Promise<IdentityKeyRecord | undefined>;
  /**
   * Atomically replaces the current key: only succeeds while `previousKeyId` is still current, so
   * two concurrent rotations from the same key cannot both win. The previous key becomes
   * `superseded` with notAfterMs = atMs.
   * @throws NotFoundError for an unknown agent; KeyRevokedError when the identity is revoked;
   *   KeyExpiredError (FAILED_PRECONDITION) when previousKeyId is not the current key;
   *   AlreadyExistsError when the new key id is already registered
   */
  rotate(
    agentId: string,
    previousKeyId: string,
    newKey: NewIdentityKey,
    atMs: number,
  ): Promise<IdentityRecord>;
  /**
   * Revokes one key (state `revoked`, notAfterMs = min(existing, atMs)). Revoking the current key
   * revokes the whole identity, since nothing could sign a rotation any more.
   * @throws NotFoundError for an unknown agent or key
   */
  revokeKey(agentId: string, keyId: string, reason: string, atMs: number): Promise<void>;
  /**
   * Revokes the identity and all its keys.
   * @throws NotFoundError for an unknown agent
   */
  revokeIdentity(agentId: string, reason: string, atMs: number): Promise<void>;
}
