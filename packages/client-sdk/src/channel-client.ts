/**
 * Channels for one agent: management (create, get, update, delete, list subscribers), subscribe /
 * unsubscribe with a member key, and publish with end-to-end encryption under sender keys
 * (docs/channels.md). Receiving needs nothing here: channel messages arrive in the agent's own
 * queue and `AgentClient.receive` opens them (with `channelId` set), using the keys this client
 * put in the key store.
 *
 * Publishing: the client reads the channel's current epoch and members, verifies every member key
 * statement against that member's identity key (the channel service is not trusted with keys),
 * makes a sender key for the epoch if it has none, sends it to every member that does not have it
 * yet — in batches, each batch one envelope encrypted to those members' keys — and then publishes
 * the message under the sender key. The member list is kept for its epoch: later publications in
 * the same epoch go straight out; when the membership has changed, the service answers
 * EPOCH_CHANGED and the client fetches the members and starts over for the new epoch.
 *
 * Caveats: which members got this client's sender key is remembered in memory; a restarted
 * publisher makes a new sender key for the epoch and sends it again. Member key statements are
 * checked against the identity key valid when they were signed, as served by key management.
 */
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import {
  type CryptoProvider,
  defaultProvider,
  type KemRecipient,
  newSenderKey,
  type SenderKey,
  Suite,
  toHex,
  utf8,
  zeroize,
} from '@proof-messenger/crypto';
import { InvalidArgumentError, ProofMessengerError, Reason } from '@proof-messenger/errors';
import {
  type Channel,
  ChannelMemberKeySchema,
  type ChannelPolicy,
  ChannelSchema,
  ChannelSenderKeySchema,
  ChannelService,
  type Priority,
} from '@proof-messenger/proto';
import {
  CHANNEL_KEY_CONTENT_TYPE,
  newMessageId,
  sealChannelEnvelope,
  sealEnvelope,
  signCleartextEnvelope,
  signStatement,
  verifyStatement,
} from '@proof-messenger/protocol';
import {
  type RequestInit,
  type ResponseOf,
  type RpcTransport,
  ServiceClient,
  type UnaryMethodName,
} from '@proof-messenger/rpc';
import type { AgentKeys } from './agent-keys.ts';
import { authorizedCall } from './internal/authorized-call.ts';
import { keyValidAt } from './internal/key-at.ts';
import { optionalFields } from './internal/optional-fields.ts';
import { retireChannelKeys } from './internal/retire-channel-keys.ts';
import { transportOf } from './internal/transport-of.ts';

type Service = typeof ChannelService;

/** Members per sender-key distribution envelope. */
const DISTRIBUTION_BATCH = 32;
/** Attempts of a publish that meets membership changes. */
const EPOCH_ATTEMPTS = 5;

export interface ChannelClientOptions {
  readonly keys: AgentKeys;
  /** `host:port` of the channel service (the platform's port in the embedded mode). */
  readonly address?: string;
  readonly transport?: RpcTransport;
  readonly provider?: CryptoProvider;
  readonly now?: () => number;
}

/** Settings of a new or updated channel; unset limits take the server's defaults. */
export interface ChannelSettings {
  readonly channelId: string;
  readonly policy: ChannelPolicy;
  readonly allowlist?: readonly string[];
  readonly retentionSeconds?: number;
  readonly maxMessageBytes?: number;
  readonly maxSubscribers?: number;
}

export interface PublishOptions {
  readonly priority?: Priority;
  readonly ttlSeconds?: number;
  readonly contentType?: string;
  readonly correlationId?: string;
  /** Sign without encrypting: every reader of the queue can read it, nobody can change it. */
  readonly cleartext?: boolean;
}

export interface PublishResult {
  readonly messageId: string;
  readonly epoch: bigint;
  readonly subscriberCount: number;
  /** Members the sender key was sent to on this call (0 when all had it). */
  readonly keysDistributed: number;
}

interface EpochKey {
  readonly epoch: bigint;
  readonly senderKey: SenderKey;
  /** Member key ids that hold it. */
  readonly holders: Set<string>;
}

interface VerifiedMember {
  readonly agentId: string;
  readonly recipient: KemRecipient;
  readonly joinedEpoch: bigint;
}

/** The channel client of one agent. */
export class ChannelClient {
  readonly #keys: AgentKeys;
  readonly #rpc: ServiceClient<Service>;
  readonly #owned: boolean;
  readonly #provider: CryptoProvider;
  readonly #now: () => number;
  /** This agent's sender key per channel, for the epoch it was made for. */
  readonly #epochKeys = new Map<string, EpochKey>();
  /** The last epoch seen per channel, with its verified members. */
  readonly #memberships = new Map<string, { epoch: bigint; members: VerifiedMember[] }>();
  /** Member key statements already verified, by member key id. */
  readonly #verified = new Map<string, VerifiedMember>();

  private constructor(options: ChannelClientOptions) {
    this.#keys = options.keys;
    const { transport, owned } = transportOf(options);
    this.#rpc = new ServiceClient(ChannelService, transport);
    this.#owned = owned;
    this.#provider = options.provider ?? defaultProvider();
    this.#now = options.now ?? Date.now;
  }

  static create(options: ChannelClientOptions): ChannelClient {
    return new ChannelClient(options);
  }

  /** Creates a channel owned by this agent. */
  async create(settings: ChannelSettings): Promise<Channel> {
    const { channel } = await this.#call('createChannel', { channel: toChannel(settings) });
    return required(channel);
  }

  async get(channelId: string): Promise<Channel> {
    return required((await this.#call('getChannel', { channelId })).channel);
  }

  /** Replaces the settings (owner or operator); members no longer allowed are removed. */
  async update(settings: ChannelSettings): Promise<Channel> {
    return required((await this.#call('updateChannel', { channel: toChannel(settings) })).channel);
  }

  async delete(channelId: string): Promise<void> {
    await this.#call('deleteChannel', { channelId });
  }

  /** Every subscriber (owner or operator only). */
  async listSubscribers(channelId: string): Promise<string[]> {
    const ids: string[] = [];
    let pageToken = '';
    do {
      const page = await this.#call('listSubscribers', { channelId, pageToken });
      ids.push(...page.subscriberIds);
      pageToken = page.nextPageToken;
    } while (pageToken !== '');
    return ids;
  }

  /**
   * Subscribes with a fresh member key (X-Wing, kept in the key store for this channel); messages
   * published from the returned epoch on arrive through `AgentClient.receive`.
   */
  async subscribe(channelId: string): Promise<bigint> {
    const createdAtMs = this.#now();
    const record = await this.#keys.keyStore.generate({
      kind: 'channel-member',
      suite: Suite.XWING_HKDFSHA256_AES256GCM_MLDSA65ED25519,
      peerId: channelId,
      createdAtMs,
    });
    const keyPair = await this.#keys.keyStore.loadKemKeyPair(record.keyId);
    const memberKey = await signStatement(
      this.#keys.signer,
      ChannelMemberKeySchema,
      create(ChannelMemberKeySchema, {
        channelId,
        agentId: this.#keys.agentId,
        key: { keyId: keyPair.keyId, suite: keyPair.suite, publicKey: keyPair.publicKey },
        createdAtMs: BigInt(createdAtMs),
      }),
    );
    try {
      return (await this.#call('subscribe', { channelId, memberKey })).epoch;
    } catch (error) {
      await this.#keys.keyStore.delete(record.keyId);
      throw error;
    }
  }

  /**
   * Ends the subscription. The channel's keys stay readable for what is already queued and then
   * expire (see retire-channel-keys.ts).
   */
  async unsubscribe(channelId: string): Promise<void> {
    await this.#call('unsubscribe', { channelId });
    await retireChannelKeys(this.#keys.keyStore, channelId, this.#now());
  }

  /**
   * Publishes `content` to every current member, encrypted under this agent's sender key for the
   * current epoch (or signed cleartext).
   * @throws PolicyDeniedError when this agent may not publish, and the server's refusal otherwise
   */
  async publish(
    channelId: string,
    content: Uint8Array | string,
    options: PublishOptions = {},
  ): Promise<PublishResult> {
    const bytes = typeof content === 'string' ? utf8(content) : content;
    for (let attempt = 1; ; attempt++) {
      try {
        // The members of the epoch last seen: every membership change moves the epoch, so while
        // the server accepts that epoch the list is exact; EPOCH_CHANGED sends us to fetch anew.
        let membership = attempt === 1 ? this.#memberships.get(channelId) : undefined;
        if (membership === undefined) {
          membership = await this.#members(channelId);
          this.#memberships.set(channelId, membership);
        }
        const { epoch, members } = membership;
        const epochKey = this.#epochKey(channelId, epoch);
        const keysDistributed = await this.#distribute(channelId, epochKey, members);
        const fields = {
          senderId: this.#keys.agentId,
          channelId,
          channelEpoch: epoch,
          messageId: newMessageId(this.#now()),
          createdAtMs: this.#now(),
          ...optionalFields(options),
        };
        const envelope =
          options.cleartext === true
            ? await signCleartextEnvelope(this.#keys.signer, fields, bytes)
            : await sealChannelEnvelope(
                this.#provider,
                this.#keys.signer,
                fields,
                epochKey.senderKey,
                bytes,
              );
        const sent = await this.#call('publish', { envelope });
        return {
          messageId: sent.messageId,
          epoch,
          subscriberCount: sent.subscriberCount,
          keysDistributed,
        };
      } catch (error) {
        const epochChanged =
          error instanceof ProofMessengerError && error.reason === Reason.EPOCH_CHANGED;
        if (!epochChanged || attempt >= EPOCH_ATTEMPTS) throw error;
      }
    }
  }

  /** Closes the connection (when this client made it). */
  close(): void {
    for (const { senderKey } of this.#epochKeys.values()) zeroize(senderKey.key);
    this.#epochKeys.clear();
    if (this.#owned) this.#rpc.close();
  }

  /** The current epoch and its members, each member key verified. */
  async #members(channelId: string): Promise<{ epoch: bigint; members: VerifiedMember[] }> {
    const members: VerifiedMember[] = [];
    let epoch = 0n;
    let pageToken = '';
    do {
      const page = await this.#call('getChannelMembers', { channelId, pageToken });
      epoch = page.epoch;
      for (const member of page.members) {
        if (member.joinedEpoch > page.epoch) continue; // joined after this epoch was read
        members.push(await this.#verifyMember(channelId, member));
      }
      pageToken = page.nextPageToken;
    } while (pageToken !== '');
    return { epoch, members };
  }

  async #verifyMember(
    channelId: string,
    member: ResponseOf<Service, 'getChannelMembers'>['members'][number],
  ): Promise<VerifiedMember> {
    const statement = member.memberKey;
    const signerKeyId = statement?.signature?.keyId ?? '';
    // Keyed by the statement's exact bytes: a re-subscription with a new key is verified anew.
    const cacheKey = `${channelId}\n${member.agentId}\n${signerKeyId}\n${toHex(this.#provider.sha256(statement?.body ?? new Uint8Array(0)))}`;
    const cached = this.#verified.get(cacheKey);
    if (cached !== undefined) return { ...cached, joinedEpoch: member.joinedEpoch };
    const { keys } = await this.#keys.client.call('listKeyHistory', { agentId: member.agentId });
    // The claimed signing time only picks the key; the signature then has to verify with it.
    const claimed = fromBinary(ChannelMemberKeySchema, statement?.body ?? new Uint8Array(0));
    const body = await verifyStatement(
      this.#provider,
      ChannelMemberKeySchema,
      statement,
      keyValidAt(keys, member.agentId, signerKeyId, claimed.createdAtMs),
      'member_key',
    );
    if (body.channelId !== channelId || body.agentId !== member.agentId || body.key === undefined) {
      throw new InvalidArgumentError(
        `member key of ${member.agentId} is not for ${channelId}; refusing to encrypt to it`,
        { field: 'member_key' },
      );
    }
    const verified = {
      agentId: member.agentId,
      recipient: { keyId: body.key.keyId, publicKey: body.key.publicKey },
      joinedEpoch: member.joinedEpoch,
    };
    this.#verified.set(cacheKey, verified);
    return verified;
  }

  #epochKey(channelId: string, epoch: bigint): EpochKey {
    const held = this.#epochKeys.get(channelId);
    if (held !== undefined && held.epoch === epoch) return held;
    if (held !== undefined) zeroize(held.senderKey.key);
    const fresh = { epoch, senderKey: newSenderKey(this.#provider), holders: new Set<string>() };
    this.#epochKeys.set(channelId, fresh);
    return fresh;
  }

  /** Sends the epoch's sender key to members that lack it; returns how many got it. */
  async #distribute(
    channelId: string,
    epochKey: EpochKey,
    members: readonly VerifiedMember[],
  ): Promise<number> {
    const missing = members.filter((m) => !epochKey.holders.has(m.recipient.keyId));
    const payload = toBinary(
      ChannelSenderKeySchema,
      create(ChannelSenderKeySchema, {
        channelId,
        epoch: epochKey.epoch,
        keyId: epochKey.senderKey.keyId,
        key: epochKey.senderKey.key,
      }),
    );
    try {
      for (let i = 0; i < missing.length; i += DISTRIBUTION_BATCH) {
        const batch = missing.slice(i, i + DISTRIBUTION_BATCH);
        const envelope = await sealEnvelope(
          this.#provider,
          this.#keys.signer,
          {
            senderId: this.#keys.agentId,
            channelId,
            channelEpoch: epochKey.epoch,
            contentType: CHANNEL_KEY_CONTENT_TYPE,
            // Ahead of the messages it unlocks, whatever their priority.
            priority: 4,
            createdAtMs: this.#now(),
          },
          batch.map((m) => m.recipient),
          payload,
        );
        await this.#call('publish', { envelope });
        for (const m of batch) epochKey.holders.add(m.recipient.keyId);
      }
    } finally {
      zeroize(payload);
    }
    return missing.length;
  }

  #call<K extends UnaryMethodName<Service>>(
    method: K,
    request: RequestInit<Service, K>,
  ): Promise<ResponseOf<Service, K>> {
    return authorizedCall(this.#rpc, this.#keys.client, method, request);
  }
}

function toChannel(settings: ChannelSettings): Channel {
  return create(ChannelSchema, {
    channelId: settings.channelId,
    policy: settings.policy,
    allowlist: [...(settings.allowlist ?? [])],
    retentionSeconds: settings.retentionSeconds ?? 0,
    maxMessageBytes: settings.maxMessageBytes ?? 0,
    maxSubscribers: settings.maxSubscribers ?? 0,
  });
}

function required(channel: Channel | undefined): Channel {
  if (channel === undefined)
    throw new InvalidArgumentError('the server answered without a channel');
  return channel;
}
