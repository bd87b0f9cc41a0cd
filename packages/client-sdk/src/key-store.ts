/**
 * The agent-side key store: the port through which the SDK keeps an agent's private keys. An agent
 * holds its identity keys (the current one and the history across rotations), a signed prekey,
 * one-time prekeys, and per-peer session keys (the current one and superseded ones still in their
 * grace period). Two adapters implement it: `MemoryKeyStore` (tests, ephemeral agents) and
 * `FileKeyStore` (one local file, encrypted at rest); both pass one contract test suite.
 *
 * Forward secrecy depends on deletion: a key whose `expiresAtMs` has passed must be removed with
 * `deleteExpired`, which wipes its seed in memory and (for stores with a disk) rewrites the disk
 * without it, so a later compromise of the agent cannot read what that key protected.
 *
 * Seeds stay inside the store. Records (`KeyRecord`) carry only metadata and are safe to log; the
 * private keys come out as ready `CompositeSigner` / `KemKeyPair` objects, derived on each load.
 * Caveat: derived objects hold private key material the store cannot wipe (OpenSSL key objects or
 * noble byte arrays); drop them when their key is deleted.
 */
import type { CompositeSigner, KemKeyPair, SenderKey, Suite } from '@proof-messenger/crypto';

/**
 * What a private key is for. `channel-member` is the KEM key an agent subscribed to a channel
 * with (publishers encrypt their sender keys to it); `channel-sender` is a 32-byte symmetric
 * sender key of one channel epoch (its own, or one a publisher sent it). Both name their channel
 * in `peerId`.
 */
export type KeyKind =
  | 'identity'
  | 'signed-prekey'
  | 'one-time-prekey'
  | 'session'
  | 'channel-member'
  | 'channel-sender';

/** Every key kind, in a stable order. */
export const KEY_KINDS: readonly KeyKind[] = [
  'identity',
  'signed-prekey',
  'one-time-prekey',
  'session',
  'channel-member',
  'channel-sender',
];

/** What a new key is, without its seed (for `KeyStore.generate`). */
export interface KeySpec {
  /** What the key is for. `identity` keys are composite signing keys; the others are KEM keys. */
  readonly kind: KeyKind;
  /** The KEM suite (1 ML-KEM-768, 2 X-Wing); required for KEM keys, absent for identity keys. */
  readonly suite?: Suite;
  /** The peer agent id for session keys, the channel id for channel keys; absent otherwise. */
  readonly peerId?: string;
  /** When the key was made (ms since the epoch). */
  readonly createdAtMs: number;
  /** When the key must be deleted (ms since the epoch), e.g. the end of its grace period. */
  readonly expiresAtMs?: number;
}

/** A key to store, with its seed (for `KeyStore.put`). */
export interface NewKey extends KeySpec {
  /**
   * The private seed: 64 bytes for identity keys (ML-DSA-65 ξ || Ed25519) and suite 1 (ML-KEM-768
   * d || z), 32 bytes for suite 2 (X-Wing). The store takes ownership of this buffer.
   */
  readonly seed: Uint8Array;
}

/** What the store knows about a key, without its seed: safe to log and serialize. */
export interface KeyRecord {
  /** The key id of the derived public key (22 base64url characters). */
  readonly keyId: string;
  readonly kind: KeyKind;
  /** The KEM suite, for KEM keys. */
  readonly suite?: Suite;
  /** The peer agent id, for session keys. */
  readonly peerId?: string;
  readonly createdAtMs: number;
  /** When the key must be deleted; absent while it has no end. */
  readonly expiresAtMs?: number;
}

/** Which records `KeyStore.list` returns; every given field must match. */
export interface KeyFilter {
  readonly kind?: KeyKind;
  readonly peerId?: string;
  readonly suite?: Suite;
}

/**
 * An agent's private keys. Every operation is asynchronous, so an adapter can persist before it
 * answers; once a mutation resolves, it is durable in that adapter's sense.
 */
export interface KeyStore {
  /**
   * Stores a key. The key id is derived from the seed (through the store's crypto provider), so a
   * record always names the key it holds. The store takes ownership of `key.seed` (no copy) and
   * zeroizes it when the key is deleted or the store is closed; pass `seed.slice()` to keep your
   * own. On a rejection the buffer stays yours.
   * @throws InvalidArgumentError on a malformed key (the message names the field),
   *   AlreadyExistsError when the key id is already stored, KeyStoreClosedError after close
   */
  put(key: NewKey): Promise<KeyRecord>;

  /**
   * Generates a fresh random key of `spec` (seed from the store's provider) and stores it; the seed
   * never leaves the store.
   * @throws as `put`
   */
  generate(spec: KeySpec): Promise<KeyRecord>;

  /** The record of a key, or undefined when the store does not hold it. */
  get(keyId: string): Promise<KeyRecord | undefined>;

  /** The records matching `filter`, oldest first (by createdAtMs, then key id). */
  list(filter?: KeyFilter): Promise<KeyRecord[]>;

  /**
   * Sets (or with `undefined` clears) when a key must be deleted, e.g. when a rotation supersedes
   * it and its grace period starts.
   * @throws KeyUnknownError when the store does not hold the key, InvalidArgumentError on a bad time
   */
  setExpiry(keyId: string, expiresAtMs: number | undefined): Promise<KeyRecord>;

  /** Deletes a key and zeroizes its seed; false when the store did not hold it. */
  delete(keyId: string): Promise<boolean>;

  /**
   * Deletes every key whose `expiresAtMs` is at or before `nowMs`, zeroizing their seeds; returns
   * their key ids, sorted. Call it on a timer: forward secrecy depends on it.
   * @throws InvalidArgumentError when nowMs is not a non-negative safe integer
   */
  deleteExpired(nowMs: number): Promise<string[]>;

  /**
   * A ready signer for an identity key.
   * @throws KeyUnknownError when the store does not hold the key, InvalidArgumentError when it is
   *   not an identity key
   */
  loadSigner(keyId: string): Promise<CompositeSigner>;

  /**
   * A ready KEM key pair for a prekey or session key.
   * @throws KeyUnknownError when the store does not hold the key, InvalidArgumentError when it is
   *   an identity key
   */
  loadKemKeyPair(keyId: string): Promise<KemKeyPair>;

  /**
   * A channel sender key (a copy of its bytes).
   * @throws KeyUnknownError when the store does not hold the key, InvalidArgumentError when it is
   *   not a channel-sender key
   */
  loadSenderKey(keyId: string): Promise<SenderKey>;

  /** Zeroizes every seed and releases what the store holds; later calls fail. Idempotent. */
  close(): Promise<void>;
}
