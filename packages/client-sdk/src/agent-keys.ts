/**
 * An agent's key lifecycle, run by the SDK so agents never handle keys: registration with proof of
 * possession, prekey upload and automatic top-up, identity key rotation, session key rotation on
 * the scheduler's notices, and deletion of private keys whose grace period ended (which is what
 * makes old messages unreadable once their key is gone: forward secrecy).
 *
 * Private keys live in the agent's KeyStore; only public keys and signed statements leave it.
 */
import { create, type DescMessage, fromBinary, type MessageInitShape } from '@bufbuild/protobuf';
import {
  type CompositeSigner,
  type CryptoProvider,
  defaultProvider,
  type KemKeyPair,
  type Suite,
} from '@proof-messenger/crypto';
import { KeyUnknownError } from '@proof-messenger/errors';
import {
  IdentityRegistrationSchema,
  IdentityRotationSchema,
  PrekeySchema,
  RotationSchedule,
  SessionKeySchema,
  type SignedStatement,
  SignedStatementSchema,
} from '@proof-messenger/proto';
import {
  DEFAULT_SUITE,
  SIGNATURE_CONTEXT,
  signStatement,
  statementSignedBytes,
} from '@proof-messenger/protocol';
import type { RpcTransport } from '@proof-messenger/rpc';
import { type AgentCredentials, KeyManagementClient } from './key-management-client.ts';
import type { KeyRecord, KeyStore } from './key-store.ts';

/** When to top up one-time prekeys, and how many to keep. */
export interface PrekeyPolicy {
  /** Upload more when fewer than this many remain on the server. */
  readonly lowWater: number;
  /** Top up to this many. */
  readonly target: number;
}

export interface AgentKeysOptions {
  /**
   * `host:port` of the key-management service (or the embedded platform), or the URL of a gRPC-web
   * gateway; not needed with `transport`.
   */
  readonly address?: string;
  /** The transport to key-management instead of `address` (stays the caller's to close). */
  readonly transport?: RpcTransport;
  readonly agentId: string;
  readonly keyStore: KeyStore;
  readonly provider?: CryptoProvider;
  /** KEM suite of new prekeys and session keys (default X-Wing). */
  readonly suite?: Suite;
  readonly prekeys?: PrekeyPolicy;
  readonly now?: () => number;
}

const DEFAULT_PREKEYS: PrekeyPolicy = { lowWater: 20, target: 50 };

function newestOf(records: readonly KeyRecord[]): KeyRecord | undefined {
  return records.at(-1);
}

/** The key lifecycle of one agent. */
export class AgentKeys {
  readonly client: KeyManagementClient;
  readonly #options: AgentKeysOptions;
  readonly #provider: CryptoProvider;
  readonly #credentials: AgentCredentials;
  #timer: NodeJS.Timeout | undefined;

  private constructor(
    options: AgentKeysOptions,
    provider: CryptoProvider,
    signer: CompositeSigner,
  ) {
    this.#options = options;
    this.#provider = provider;
    this.#credentials = { agentId: options.agentId, signer };
    this.client = new KeyManagementClient(
      options.transport ?? options.address ?? '',
      provider,
      { agent: this.#credentials },
      options.now,
    );
  }

  /**
   * Opens the agent's keys: uses the newest identity key in the store, or generates one (which
   * then has to be registered with `register`).
   */
  static async open(options: AgentKeysOptions): Promise<AgentKeys> {
    const provider = options.provider ?? defaultProvider();
    let identity = newestOf(await options.keyStore.list({ kind: 'identity' }));
    identity ??= await options.keyStore.generate({
      kind: 'identity',
      createdAtMs: (options.now ?? Date.now)(),
    });
    return new AgentKeys(options, provider, await options.keyStore.loadSigner(identity.keyId));
  }

  get agentId(): string {
    return this.#options.agentId;
  }

  /** The key store holding this agent's private keys. */
  get keyStore(): KeyStore {
    return this.#options.keyStore;
  }

  /** The current identity signer. */
  get signer(): CompositeSigner {
    return this.#credentials.signer;
  }

  #now(): number {
    return (this.#options.now ?? Date.now)();
  }

  #suite(): Suite {
    return this.#options.suite ?? DEFAULT_SUITE;
  }

  #sign<Desc extends DescMessage>(
    schema: Desc,
    init: MessageInitShape<Desc>,
    signer = this.signer,
  ): Promise<SignedStatement> {
    return signStatement(signer, schema, create(schema, init));
  }

  /**
   * Registers the identity key (proof of possession: the statement is signed by the key it
   * registers). Pass the enrollment credential an operator issued, unless the server allows open
   * registration from loopback.
   */
  async register(enrollmentCredential = ''): Promise<void> {
    const { publicKey } = this.signer;
    const registration = await this.#sign(IdentityRegistrationSchema, {
      agentId: this.agentId,
      identityKey: {
        keyId: publicKey.keyId,
        mlDsa65: publicKey.mlDsa65,
        ed25519: publicKey.ed25519,
      },
      createdAtMs: BigInt(this.#now()),
    });
    await this.client.anonymous('registerIdentity', { registration, enrollmentCredential });
  }

  async #prekeyStatement(keyPair: KemKeyPair, oneTime: boolean): Promise<SignedStatement> {
    return this.#sign(PrekeySchema, {
      agentId: this.agentId,
      key: { keyId: keyPair.keyId, suite: keyPair.suite, publicKey: keyPair.publicKey },
      validity: { notBeforeMs: BigInt(this.#now()) },
      oneTime,
    });
  }

  /**
   * Uploads a signed prekey if none was uploaded yet, and tops the one-time prekeys up to the
   * policy's target when fewer than its low-water mark remain. Returns how many remain.
   */
  async ensurePrekeys(): Promise<number> {
    const policy = this.#options.prekeys ?? DEFAULT_PREKEYS;
    const store = this.#options.keyStore;
    let signedPrekey: SignedStatement | undefined;
    if ((await store.list({ kind: 'signed-prekey' })).length === 0) {
      const record = await store.generate({
        kind: 'signed-prekey',
        suite: this.#suite(),
        createdAtMs: this.#now(),
      });
      signedPrekey = await this.#prekeyStatement(await store.loadKemKeyPair(record.keyId), false);
    }
    const remaining =
      signedPrekey === undefined
        ? (await this.client.call('getPrekeyCount', {})).oneTimePrekeysRemaining
        : 0;
    const missing =
      remaining < policy.lowWater || signedPrekey !== undefined ? policy.target - remaining : 0;
    const oneTimePrekeys: SignedStatement[] = [];
    for (let i = 0; i < missing; i++) {
      const record = await store.generate({
        kind: 'one-time-prekey',
        suite: this.#suite(),
        createdAtMs: this.#now(),
      });
      oneTimePrekeys.push(
        await this.#prekeyStatement(await store.loadKemKeyPair(record.keyId), true),
      );
    }
    if (signedPrekey === undefined && oneTimePrekeys.length === 0) return remaining;
    const response = await this.client.call('uploadPrekeyBundle', { signedPrekey, oneTimePrekeys });
    return response.oneTimePrekeysRemaining;
  }

  /**
   * Replaces the identity key: the rotation statement is signed by the current key and, as proof
   * of possession, by the new one. The old private key is deleted once the server accepted.
   */
  async rotateIdentityKey(): Promise<string> {
    const store = this.#options.keyStore;
    const previous = this.signer;
    const record = await store.generate({ kind: 'identity', createdAtMs: this.#now() });
    const next = await store.loadSigner(record.keyId);
    const body = {
      agentId: this.agentId,
      previousKeyId: previous.keyId,
      newKey: {
        keyId: next.keyId,
        mlDsa65: next.publicKey.mlDsa65,
        ed25519: next.publicKey.ed25519,
      },
      createdAtMs: BigInt(this.#now()),
    };
    const rotation = await this.#sign(IdentityRotationSchema, body, previous);
    // The new key signs the very bytes of the rotation statement (proof of possession).
    const newKeyProof = await resign(next, IdentityRotationSchema.typeName, rotation.body);
    try {
      await this.client.call('rotateIdentityKey', { rotation, newKeyProof });
    } catch (error) {
      await store.delete(record.keyId);
      throw error;
    }
    this.#credentials.signer = next;
    this.client.resetToken();
    await store.delete(previous.keyId);
    return next.keyId;
  }

  /**
   * Installs a new session key for `peerId`. The previous key for that peer is kept until its
   * grace period ends (then `deleteExpiredKeys` removes it).
   */
  async rotateSessionKey(
    peerId: string,
    schedule: RotationSchedule = RotationSchedule.DAILY,
  ): Promise<string> {
    const store = this.#options.keyStore;
    const previous = await store.list({ kind: 'session', peerId });
    const record = await store.generate({
      kind: 'session',
      suite: this.#suite(),
      peerId,
      createdAtMs: this.#now(),
    });
    const keyPair = await store.loadKemKeyPair(record.keyId);
    const sessionKey = await this.#sign(SessionKeySchema, {
      ownerId: this.agentId,
      peerId,
      key: { keyId: keyPair.keyId, suite: keyPair.suite, publicKey: keyPair.publicKey },
      schedule,
      createdAtMs: BigInt(this.#now()),
    });
    const response = await this.client
      .call('rotateSessionKey', { sessionKey })
      .catch(async (error: unknown) => {
        await store.delete(record.keyId);
        throw error;
      });
    const graceEnds = Number(response.previousKeyGraceEndsAtMs);
    for (const old of previous) {
      if (old.expiresAtMs === undefined)
        await store.setExpiry(old.keyId, graceEnds === 0 ? this.#now() : graceEnds);
    }
    return keyPair.keyId;
  }

  /** Rotates every session the scheduler has asked about; returns the peers rotated. */
  async handleRotationNotices(): Promise<string[]> {
    const { notices } = await this.client.call('listRotationNotices', {});
    const peers = [...new Set(notices.map((notice) => notice.peerId))];
    for (const peerId of peers) {
      const schedule = await this.#scheduleOf(peerId);
      await this.rotateSessionKey(peerId, schedule);
    }
    return peers;
  }

  async #scheduleOf(peerId: string): Promise<RotationSchedule> {
    const { keys } = await this.client.call('getSessionKeys', { ownerId: this.agentId, peerId });
    const current = keys.find((key) => key.current);
    if (current?.sessionKey === undefined) return RotationSchedule.DAILY;
    return fromBinary(SessionKeySchema, current.sessionKey.body).schedule;
  }

  /** Deletes private keys whose grace period has ended; returns their key ids. */
  deleteExpiredKeys(): Promise<string[]> {
    return this.#options.keyStore.deleteExpired(this.#now());
  }

  /** The session private key with this id, for decrypting. */
  async sessionKeyPair(keyId: string): Promise<KemKeyPair> {
    const record = await this.#options.keyStore.get(keyId);
    if (record === undefined)
      throw new KeyUnknownError(
        `no private key ${keyId} in the key store (deleted after its grace period?)`,
      );
    return this.#options.keyStore.loadKemKeyPair(keyId);
  }

  /** One maintenance pass: prekey top-up, due rotations, expired key deletion. */
  async maintain(): Promise<void> {
    await this.ensurePrekeys();
    await this.handleRotationNotices();
    await this.deleteExpiredKeys();
  }

  /** Runs `maintain` every `intervalMs` until `stop`; failures are passed to `onError`. */
  start(intervalMs: number, onError: (error: unknown) => void = () => {}): void {
    if (this.#timer !== undefined) return;
    this.#timer = setInterval(() => {
      this.maintain().catch(onError);
    }, intervalMs);
    // In browsers a timer is a number, with nothing to unref.
    this.#timer.unref?.();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Revokes the agent's identity (with a reason for verifiers and the audit log). */
  async revoke(reason: string): Promise<void> {
    await this.client.call('revokeKey', { agentId: this.agentId, keyId: '', reason });
  }

  close(): void {
    this.stop();
    this.client.close();
  }
}

/** Signs existing statement bytes with another key (the new-key proof of a rotation). */
async function resign(
  signer: CompositeSigner,
  typeName: string,
  body: Uint8Array,
): Promise<SignedStatement> {
  const signature = await signer.sign(statementSignedBytes(typeName, body), SIGNATURE_CONTEXT);
  return create(SignedStatementSchema, { body, signature: { keyId: signer.keyId, ...signature } });
}
