/**
 * The agent-facing messaging client: `send`, `receive`, `request` and `reply` over the envelope
 * processor, with every protocol step done for the agent (docs/envelope-processor.md):
 *
 * - send: fetch the recipient's prekey bundle, verify the prekey statement with the bundle's
 *   identity key, seal (or sign cleartext), and SendMessage. Retryable failures are retried with
 *   the same envelope (same message id), which the server answers idempotently. Envelopes sent
 *   in the same event-loop turn share one SendMessages call (internal/send-batcher.ts), each
 *   with its own answer and its own retries; a lone envelope goes through SendMessage.
 * - receive: PollMessages in a loop; each envelope is verified with the sender's identity key valid
 *   at its created-at (from the key history), decrypted with the agent's prekeys, and yielded; a
 *   delivered notice's receipt is verified with the recipient's key before it is yielded.
 *
 * Duplicates: a message (sender + message id) is yielded once. Further deliveries of it that
 * arrive while the yielded one is unsettled are held back and settled with it; once it is acked,
 * later copies are acked silently for as long as the id is remembered (the last `maxEntries`
 * settled ids, at most `maxAgeMs` old; defaults 10,000 and 24 h).
 *
 * Caveats: the recipient's identity key is taken from key-management as served (no pinning);
 * duplicate suppression is in memory only, behind the server's durable replay guard; a one-time prekey's private key is deleted when the
 * message it opened is acknowledged (not at open), so a crash or a nack before the ack leaves the
 * redelivered message readable.
 */
import { create, fromBinary } from '@bufbuild/protobuf';
import {
  type CryptoProvider,
  defaultProvider,
  type KemKeyPair,
  type KemRecipient,
  utf8,
} from '@proof-messenger/crypto';
import {
  Code,
  InvalidArgumentError,
  KeyUnknownError,
  ProofMessengerError,
} from '@proof-messenger/errors';
import {
  type Delivery,
  DeliveryReceiptBodySchema,
  type Envelope,
  type EnvelopeHeader,
  EnvelopeProcessorService,
  type Notice,
  NoticeKind,
  PrekeySchema,
  type Priority,
  SignedStatementSchema,
} from '@proof-messenger/proto';
import {
  type EnvelopeFields,
  envelopeDigest,
  newMessageId,
  type OpenedEnvelope,
  openEnvelope,
  parseEnvelope,
  sealEnvelope,
  signCleartextEnvelope,
  signStatement,
  verifyStatement,
} from '@proof-messenger/protocol';
import {
  type CallOptions,
  type RequestInit,
  type ResponseOf,
  type RpcTransport,
  ServiceClient,
  type UnaryMethodName,
} from '@proof-messenger/rpc';
import type { AgentKeys } from './agent-keys.ts';
import type { DeliveryNotice, InboundItem, InvalidDelivery, ReceivedMessage } from './inbound.ts';
import { authorizedCall } from './internal/authorized-call.ts';
import { openChannelDelivery } from './internal/channel-inbound.ts';
import { keyValidAt } from './internal/key-at.ts';
import { optionalFields } from './internal/optional-fields.ts';
import { RecentIds } from './internal/recent-ids.ts';
import { retireChannelKeys } from './internal/retire-channel-keys.ts';
import { SendBatcher } from './internal/send-batcher.ts';
import { transportOf } from './internal/transport-of.ts';
import type { KeyStore } from './key-store.ts';
import { RequestAbortedError, RequestTimeoutError } from './request-errors.ts';

type Service = typeof EnvelopeProcessorService;

/** How `send` retries retryable failures. */
export interface RetryPolicy {
  /** Attempts in all, the first included (default 5). */
  readonly attempts: number;
  /** Wait before the first retry; doubled each time (default 100 ms). */
  readonly initialDelayMs: number;
  /**
   * Longest wait between attempts (default 2000 ms). A refusal that says when to come back (a
   * rate limit's `retryAfterMs`) is retried no sooner than that; if that is later than this
   * longest wait, it is not retried but thrown at once, so the caller decides whether to wait.
   */
  readonly maxDelayMs: number;
}

/** How long settled message ids are remembered for duplicate suppression. */
export interface DuplicateWindow {
  /** Default 10,000. */
  readonly maxEntries: number;
  /** Default 24 h. */
  readonly maxAgeMs: number;
}

export interface AgentClientOptions {
  /** The agent's key lifecycle (identity signer and key-management client). */
  readonly keys: AgentKeys;
  /**
   * The key store prekey private keys are read from (and one-time prekeys deleted from once used);
   * default: the one `keys` was opened with.
   */
  readonly keyStore?: KeyStore;
  /** `host:port` of the envelope processor, or the URL of a gRPC-web gateway. */
  readonly address?: string;
  /** The transport to the envelope processor instead of `address` (stays the caller's to close). */
  readonly transport?: RpcTransport;
  readonly provider?: CryptoProvider;
  readonly now?: () => number;
  /** Told about deliveries that failed verification; they are acknowledged and never yielded. */
  readonly onInvalid?: (invalid: InvalidDelivery) => void;
  readonly retry?: RetryPolicy;
  /**
   * Most envelopes sent in the same event-loop turn that share one SendMessages call (default 64,
   * at most 256); 1 sends each with its own SendMessage.
   */
  readonly maxSendBatch?: number;
  readonly duplicateWindow?: DuplicateWindow;
  /** `close()` also closes `keys` (stops its maintenance and its connection). Default false. */
  readonly ownsKeys?: boolean;
}

export interface SendOptions {
  readonly priority?: Priority;
  /** 0 (the default) takes the server's default TTL. */
  readonly ttlSeconds?: number;
  readonly correlationId?: string;
  readonly contentType?: string;
  /** Sign without encrypting: anyone who sees it can read it, nobody can change it. */
  readonly cleartext?: boolean;
  readonly signal?: AbortSignal;
}

export interface SendResult {
  readonly messageId: string;
  readonly partition: number;
  /** True when the server had already accepted this very envelope (a retry). */
  readonly duplicate: boolean;
  /** The envelope as sent: a proof anyone with the sender's public key can verify. */
  readonly envelope: Envelope;
}

export interface ReceiveOptions {
  /** Ends the iteration (deliveries already fetched stay buffered for the next one). */
  readonly signal?: AbortSignal;
  /** How long each poll waits for deliveries (default 5000 ms, at most 30,000). */
  readonly waitMs?: number;
  /** Deliveries per poll (default 32). */
  readonly maxMessages?: number;
  /**
   * End the iteration once the deliveries of one poll are yielded (that poll waits up to `waitMs`
   * for the first): one batch, for command-line tools and cron-style agents.
   */
  readonly once?: boolean;
  /**
   * Only what a channel delivers: its messages and its channel-deleted notice. Everything else
   * stays buffered, in order, for another `receive` (a direct-message loop, another channel's):
   * the subscription as its own async iterator, with the same ack semantics.
   */
  readonly channelId?: string;
}

export interface RequestOptions extends Omit<SendOptions, 'correlationId'> {
  /** How long to wait for the reply once the request was sent (default 30,000 ms). */
  readonly timeoutMs?: number;
}

const DEFAULT_RETRY: RetryPolicy = { attempts: 5, initialDelayMs: 100, maxDelayMs: 2000 };
const DEFAULT_SEND_BATCH = 64;
/** Envelope bytes per SendMessages call: half the server's default PM_MAX_ENVELOPE_BYTES. */
const SEND_BATCH_BYTES = 512 * 1024;
const DEFAULT_WINDOW: DuplicateWindow = { maxEntries: 10_000, maxAgeMs: 24 * 3600 * 1000 };
/** Digests of sent envelopes kept to check receipts against. */
const MAX_SENT_DIGESTS = 10_000;
/** Poll wait while a request waits for its reply. */
const REQUEST_POLL_WAIT_MS = 1000;
/** Delay before a delivery that could not be checked for a transient reason comes back. */
const TRANSIENT_NACK_DELAY_MS = 1000;

const NOTICE_KINDS = new Map<NoticeKind, DeliveryNotice['kind']>([
  [NoticeKind.DELIVERED, 'delivered'],
  [NoticeKind.EXPIRED, 'expired'],
  [NoticeKind.DEAD_LETTERED, 'dead-lettered'],
  [NoticeKind.CHANNEL_DELETED, 'channel-deleted'],
]);

/** Whether the same call may succeed when tried again. */
function isTransient(error: unknown): boolean {
  return (
    error instanceof ProofMessengerError &&
    (error.retryable || error.code === Code.UNAVAILABLE || error.code === Code.DEADLINE_EXCEEDED)
  );
}

/** The server's "retry after" hint of a refusal (rate limits), in ms; 0 when there is none. */
function retryAfterMs(error: unknown): number {
  return error instanceof ProofMessengerError ? error.retryAfterMs : 0;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

/** The messaging client of one agent. */
export class AgentClient {
  readonly #keys: AgentKeys;
  readonly #ownsKeys: boolean;
  readonly #keyStore: KeyStore;
  readonly #rpc: ServiceClient<Service>;
  readonly #ownsTransport: boolean;
  readonly #provider: CryptoProvider;
  readonly #now: () => number;
  readonly #onInvalid: (invalid: InvalidDelivery) => void;
  readonly #retry: RetryPolicy;
  readonly #sends: SendBatcher;
  readonly #recent: RecentIds;
  readonly #sentDigests = new Map<string, Uint8Array>();
  /**
   * Messages yielded and not yet settled, by sender + message id, with the ids of further
   * deliveries of the same message that arrived meanwhile (a redelivery after the ack wait, or a
   * duplicate on the wire): those are held back and settled together with the yielded one.
   */
  readonly #unsettled = new Map<string, string[]>();
  /** Processed items not yet yielded, in delivery order. */
  readonly #buffer: InboundItem[] = [];
  /** Pending requests by correlation id. */
  readonly #waiters = new Map<string, (reply: ReceivedMessage) => void>();
  #polling: Promise<void> | undefined;

  private constructor(options: AgentClientOptions) {
    this.#keys = options.keys;
    this.#ownsKeys = options.ownsKeys ?? false;
    this.#keyStore = options.keyStore ?? options.keys.keyStore;
    const { transport, owned } = transportOf(options);
    this.#rpc = new ServiceClient(EnvelopeProcessorService, transport);
    this.#ownsTransport = owned;
    this.#provider = options.provider ?? defaultProvider();
    this.#now = options.now ?? Date.now;
    this.#onInvalid = options.onInvalid ?? (() => {});
    this.#retry = options.retry ?? DEFAULT_RETRY;
    this.#sends = new SendBatcher({
      maxEnvelopes: Math.min(256, options.maxSendBatch ?? DEFAULT_SEND_BATCH),
      maxBytes: SEND_BATCH_BYTES,
      sendOne: (envelope, signal) => this.#call('sendMessage', { envelope }, { signal }),
      sendMany: async (envelopes) => (await this.#call('sendMessages', { envelopes })).results,
    });
    const window = options.duplicateWindow ?? DEFAULT_WINDOW;
    this.#recent = new RecentIds(window.maxEntries, window.maxAgeMs, this.#now);
  }

  /** A client for `keys.agentId` talking to the envelope processor at `address`. */
  static create(options: AgentClientOptions): AgentClient {
    return new AgentClient(options);
  }

  get agentId(): string {
    return this.#keys.agentId;
  }

  /**
   * Sends `content` to `recipientId`, encrypted to the recipient's verified prekey (or signed
   * cleartext with `cleartext: true`).
   * @throws SignatureInvalidError / InvalidArgumentError when the recipient's prekey does not
   *   verify, NotFoundError when the recipient has no prekeys, and the server's refusal otherwise
   *   (after retrying retryable failures)
   */
  async send(
    recipientId: string,
    content: Uint8Array | string,
    options: SendOptions = {},
  ): Promise<SendResult> {
    const bytes = typeof content === 'string' ? utf8(content) : content;
    const fields: EnvelopeFields = {
      senderId: this.agentId,
      recipientId,
      messageId: newMessageId(this.#now()),
      createdAtMs: this.#now(),
      ...optionalFields(options),
    };
    const envelope =
      options.cleartext === true
        ? await signCleartextEnvelope(this.#keys.signer, fields, bytes)
        : await sealEnvelope(
            this.#provider,
            this.#keys.signer,
            fields,
            [await this.#retrying(() => this.#prekeyOf(recipientId), options.signal)],
            bytes,
          );
    return this.sendEnvelope(envelope, options.signal);
  }

  /**
   * Sends a ready envelope (retrying retryable failures with the same bytes). For envelopes made
   * by hand; `send` makes and sends in one step. Envelopes sent in the same turn share one call
   * (see `maxSendBatch`); each is answered, and retried, as if sent alone.
   */
  async sendEnvelope(envelope: Envelope, signal?: AbortSignal): Promise<SendResult> {
    // `submit` queues the envelope synchronously, so calls made together land in one batch.
    const sent = await this.#retrying(() => this.#sends.submit(envelope, signal), signal);
    this.#sentDigests.set(
      sent.messageId,
      envelopeDigest(this.#provider, envelope.header, envelope.payload),
    );
    for (const id of this.#sentDigests.keys()) {
      if (this.#sentDigests.size <= MAX_SENT_DIGESTS) break;
      this.#sentDigests.delete(id);
    }
    return {
      messageId: sent.messageId,
      partition: sent.partition,
      duplicate: sent.duplicate,
      envelope,
    };
  }

  /**
   * Verified messages and notices for this agent, in delivery order (highest priority first), until
   * `signal` aborts. Transient poll failures are retried; others end the iteration with the error.
   */
  async *receive(options: ReceiveOptions = {}): AsyncGenerator<InboundItem, void, undefined> {
    const waitMs = options.waitMs ?? 5000;
    const maxMessages = options.maxMessages ?? 32;
    let failures = 0;
    let polled = false;
    const wanted = (item: InboundItem) =>
      options.channelId === undefined ||
      (item.kind === 'message'
        ? item.channelId === options.channelId
        : item.kind === 'channel-deleted' && item.recipientId === options.channelId);
    while (options.signal?.aborted !== true) {
      const index = this.#buffer.findIndex(wanted);
      const item = index < 0 ? undefined : this.#buffer.splice(index, 1)[0];
      if (item !== undefined) {
        yield item;
        continue;
      }
      if (polled && options.once === true) return;
      try {
        await this.#untilAborted(this.#poll(waitMs, maxMessages), options.signal);
        failures = 0;
        polled = true;
      } catch (error) {
        if (!isTransient(error)) throw error;
        await sleep(this.#backoff(failures++, error), options.signal);
      }
    }
  }

  /**
   * Sends a request with a fresh correlation id and resolves with the first message carrying it.
   * Other messages received meanwhile stay buffered for `receive`; a reply arriving after the
   * timeout is yielded by `receive` like any message.
   * @throws RequestTimeoutError after `timeoutMs`, RequestAbortedError when `signal` aborts, and
   *   what `send` throws
   */
  async request(
    recipientId: string,
    content: Uint8Array | string,
    options: RequestOptions = {},
  ): Promise<ReceivedMessage> {
    const { timeoutMs = 30_000, signal, ...sendOptions } = options;
    const correlationId = newMessageId(this.#now());
    let settled = false;
    const reply = new Promise<ReceivedMessage>((resolve) => {
      this.#waiters.set(correlationId, resolve);
    });
    const cleanups: (() => void)[] = [];
    try {
      await this.send(recipientId, content, { ...sendOptions, correlationId, signal });
      const gaveUp = new Promise<never>((_, reject) => {
        const timer = setTimeout(
          () =>
            reject(
              new RequestTimeoutError(
                `no reply from ${recipientId} to request ${correlationId} within ${timeoutMs} ms`,
                correlationId,
              ),
            ),
          timeoutMs,
        );
        const onAbort = () =>
          reject(
            new RequestAbortedError(
              `request ${correlationId} to ${recipientId} was aborted`,
              correlationId,
            ),
          );
        if (signal?.aborted === true) onAbort();
        signal?.addEventListener('abort', onAbort, { once: true });
        cleanups.push(() => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
        });
      });
      const polling = (async (): Promise<never> => {
        let failures = 0;
        while (!settled) {
          try {
            await this.#poll(REQUEST_POLL_WAIT_MS, 32);
            failures = 0;
          } catch (error) {
            if (!isTransient(error)) throw error;
            await sleep(this.#backoff(failures++, error));
          }
        }
        return new Promise<never>(() => {});
      })();
      return await Promise.race([reply, gaveUp, polling]);
    } finally {
      settled = true;
      this.#waiters.delete(correlationId);
      for (const cleanup of cleanups) cleanup();
    }
  }

  /** Answers `to` with the same correlation id (its message id when it carried none). */
  reply(
    to: ReceivedMessage,
    content: Uint8Array | string,
    options: Omit<SendOptions, 'correlationId'> = {},
  ): Promise<SendResult> {
    return this.send(to.senderId, content, {
      ...options,
      correlationId: to.correlationId === '' ? to.messageId : to.correlationId,
    });
  }

  /** Closes the connection to the envelope processor, and the keys when the client owns them. */
  close(): void {
    if (this.#ownsTransport) this.#rpc.close();
    if (this.#ownsKeys) this.#keys.close();
  }

  // --- sending ---------------------------------------------------------------------------------

  /** The recipient's one-time prekey (or its signed prekey when none are left), verified. */
  async #prekeyOf(recipientId: string): Promise<KemRecipient> {
    const bundle = await this.#keys.client.call('fetchPrekeyBundle', { agentId: recipientId });
    const identityKey = bundle.identityKey;
    if (identityKey === undefined)
      throw new KeyUnknownError(`key-management returned no identity key for ${recipientId}`);
    const oneTime = bundle.oneTimePrekey !== undefined;
    const field = oneTime ? 'one_time_prekey' : 'signed_prekey';
    const prekey = await verifyStatement(
      this.#provider,
      PrekeySchema,
      bundle.oneTimePrekey ?? bundle.signedPrekey,
      identityKey,
      field,
    );
    const now = BigInt(this.#now());
    const notBefore = prekey.validity?.notBeforeMs ?? 0n;
    const notAfter = prekey.validity?.notAfterMs ?? 0n;
    if (
      prekey.agentId !== recipientId ||
      prekey.key === undefined ||
      prekey.oneTime !== oneTime ||
      now < notBefore ||
      (notAfter !== 0n && now >= notAfter)
    ) {
      throw new InvalidArgumentError(
        `the ${field} key-management returned is not a current prekey of ${recipientId}`,
        { field },
      );
    }
    return { keyId: prekey.key.keyId, publicKey: prekey.key.publicKey };
  }

  async #retrying<T>(attempt: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    for (let failures = 0; ; failures++) {
      try {
        return await attempt();
      } catch (error) {
        if (!isTransient(error) || failures + 1 >= this.#retry.attempts || signal?.aborted)
          throw error;
        // A hint beyond the longest wait is the caller's to act on (see RetryPolicy.maxDelayMs).
        if (retryAfterMs(error) > this.#retry.maxDelayMs) throw error;
        await sleep(this.#backoff(failures, error), signal);
      }
    }
  }

  /**
   * Exponential backoff, but never sooner than the server's retry-after hint for `error`: a retry
   * before it is refused again (and counted against the caller in the audit log).
   */
  #backoff(failures: number, error: unknown): number {
    const backoff = Math.min(this.#retry.maxDelayMs, this.#retry.initialDelayMs * 2 ** failures);
    return Math.max(backoff, retryAfterMs(error));
  }

  /** Calls the envelope processor as the agent; re-authenticates once on UNAUTHENTICATED. */
  #call<K extends UnaryMethodName<Service>>(
    method: K,
    request: RequestInit<Service, K>,
    options: CallOptions = {},
  ): Promise<ResponseOf<Service, K>> {
    return authorizedCall(this.#rpc, this.#keys.client, method, request, options);
  }

  // --- receiving -------------------------------------------------------------------------------

  /** One poll at a time, shared by every waiting `receive` and `request`. */
  #poll(waitMs: number, maxMessages: number): Promise<void> {
    if (this.#polling === undefined) {
      const polling = this.#pollOnce(Math.min(waitMs, 30_000), maxMessages).finally(() => {
        this.#polling = undefined;
      });
      // A caller that stopped waiting (abort) must not leave the rejection unhandled.
      polling.catch(() => {});
      this.#polling = polling;
    }
    return this.#polling;
  }

  async #pollOnce(waitMs: number, maxMessages: number): Promise<void> {
    const { deliveries } = await this.#call('pollMessages', { maxMessages, waitMs });
    for (const delivery of deliveries) {
      const item = await this.#process(delivery);
      if (item === undefined) continue;
      const waiter =
        item.kind === 'message' && item.correlationId !== ''
          ? this.#waiters.get(item.correlationId)
          : undefined;
      if (waiter !== undefined && item.kind === 'message') {
        this.#waiters.delete(item.correlationId);
        waiter(item);
      } else {
        this.#buffer.push(item);
      }
    }
  }

  async #untilAborted(work: Promise<void>, signal: AbortSignal | undefined): Promise<void> {
    if (signal === undefined) return work;
    let onAbort = () => {};
    const aborted = new Promise<void>((resolve) => {
      onAbort = resolve;
      if (signal.aborted) resolve();
      signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      await Promise.race([work, aborted]);
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  async #process(delivery: Delivery): Promise<InboundItem | undefined> {
    const { content } = delivery;
    if (content.case === 'envelope') return this.#openDelivery(delivery, content.value);
    if (content.case === 'notice') return this.#notice(delivery, content.value);
    await this.#call('acknowledge', { deliveryId: delivery.deliveryId });
    return undefined;
  }

  async #openDelivery(
    delivery: Delivery,
    envelope: Envelope,
  ): Promise<ReceivedMessage | undefined> {
    let header: EnvelopeHeader | undefined;
    try {
      header = parseEnvelope(envelope).header;
      const dedupKey = `${header.senderId}\n${header.messageId}`;
      if (this.#recent.has(dedupKey)) {
        await this.#call('acknowledge', { deliveryId: delivery.deliveryId });
        return undefined;
      }
      const held = this.#unsettled.get(dedupKey);
      if (held !== undefined) {
        held.push(delivery.deliveryId);
        return undefined;
      }
      const channel = header.destination.case === 'channelId';
      if (
        !channel &&
        (header.destination.case !== 'recipientId' || header.destination.value !== this.agentId)
      ) {
        throw new InvalidArgumentError(
          `envelope ${header.messageId} is not addressed to ${this.agentId}`,
          { field: 'envelope.header.destination' },
        );
      }
      const { keys } = await this.#keys.client.call('listKeyHistory', {
        agentId: header.senderId,
      });
      const senderKey = keyValidAt(keys, header.senderId, header.senderKeyId, header.createdAtMs);
      if (channel) {
        const outcome = await openChannelDelivery(
          this.#provider,
          this.#keyStore,
          envelope,
          header,
          senderKey,
          this.#now(),
        );
        if (outcome.kind === 'sender-key') {
          await this.#call('acknowledge', { deliveryId: delivery.deliveryId });
          return undefined;
        }
        this.#unsettled.set(dedupKey, []);
        return this.#message(delivery, outcome.opened, dedupKey, []);
      }
      const candidates: KemKeyPair[] = [];
      const oneTimeKeyIds: string[] = [];
      for (const recipient of header.recipients) {
        const record = await this.#keyStore.get(recipient.keyId);
        if (record === undefined || record.kind === 'identity') continue;
        candidates.push(await this.#keyStore.loadKemKeyPair(record.keyId));
        if (record.kind === 'one-time-prekey') oneTimeKeyIds.push(record.keyId);
      }
      const opened = await openEnvelope(this.#provider, envelope, senderKey, candidates);
      this.#unsettled.set(dedupKey, []);
      return this.#message(delivery, opened, dedupKey, oneTimeKeyIds);
    } catch (error) {
      if (isTransient(error)) {
        await this.#call('nack', {
          deliveryId: delivery.deliveryId,
          delayMs: TRANSIENT_NACK_DELAY_MS,
        });
        return undefined;
      }
      // A forged or unreadable message stays so on redelivery: drop it and tell the application.
      await this.#call('acknowledge', { deliveryId: delivery.deliveryId });
      this.#onInvalid({
        deliveryId: delivery.deliveryId,
        messageId: header?.messageId ?? '',
        senderId: header?.senderId ?? '',
        error,
      });
      return undefined;
    }
  }

  #message(
    delivery: Delivery,
    opened: OpenedEnvelope,
    dedupKey: string,
    oneTimeKeyIds: readonly string[],
  ): ReceivedMessage {
    const { header } = opened;
    const { deliveryId } = delivery;
    return {
      kind: 'message',
      messageId: header.messageId,
      senderId: header.senderId,
      channelId: header.destination.case === 'channelId' ? header.destination.value : '',
      correlationId: header.correlationId,
      contentType: header.contentType,
      priority: header.priority,
      createdAtMs: Number(header.createdAtMs),
      deliveryCount: delivery.deliveryCount,
      cleartext: header.recipients.length === 0,
      content: opened.content,
      header,
      envelope: opened.envelope,
      text: () => new TextDecoder().decode(opened.content),
      ack: async () => {
        const body = create(DeliveryReceiptBodySchema, {
          messageId: header.messageId,
          senderId: header.senderId,
          recipientId: this.agentId,
          envelopeDigest: opened.digest,
          acknowledgedAtMs: BigInt(this.#now()),
        });
        // Channel publishers get no receipts (one per subscriber would flood them): no signature.
        const receipt =
          header.destination.case === 'channelId'
            ? undefined
            : await signStatement(this.#keys.signer, DeliveryReceiptBodySchema, body);
        // The yielded delivery may have been superseded by a held redelivery: the first delivery
        // still live carries the receipt, the others are settled without one.
        let acked = false;
        let gone: unknown;
        for (const id of [deliveryId, ...(this.#unsettled.get(dedupKey) ?? [])]) {
          try {
            await this.#call('acknowledge', {
              deliveryId: id,
              ...(acked || receipt === undefined
                ? {}
                : { receipt: { body: receipt.body, signature: receipt.signature } }),
            });
            acked = true;
          } catch (error) {
            if (!(error instanceof ProofMessengerError) || error.code !== Code.NOT_FOUND)
              throw error;
            gone ??= error;
          }
        }
        if (!acked) throw gone;
        this.#unsettled.delete(dedupKey);
        this.#recent.add(dedupKey);
        for (const keyId of oneTimeKeyIds) await this.#keyStore.delete(keyId);
      },
      nack: async (delayMs = 0) => {
        const held = this.#unsettled.get(dedupKey) ?? [];
        this.#unsettled.delete(dedupKey);
        for (const id of [deliveryId, ...held]) {
          try {
            await this.#call('nack', { deliveryId: id, delayMs });
          } catch (error) {
            if (!(error instanceof ProofMessengerError) || error.code !== Code.NOT_FOUND)
              throw error;
          }
        }
      },
    };
  }

  async #notice(delivery: Delivery, notice: Notice): Promise<DeliveryNotice | undefined> {
    const kind = NOTICE_KINDS.get(notice.kind);
    const ack = async () => {
      await this.#call('acknowledge', { deliveryId: delivery.deliveryId });
    };
    if (kind === undefined) {
      await ack();
      return undefined;
    }
    if (kind === 'channel-deleted') {
      await retireChannelKeys(this.#keyStore, notice.recipientId, this.#now());
    }
    let receipt: DeliveryNotice['receipt'];
    let receiptVerified = false;
    if (notice.receipt !== undefined) {
      try {
        receipt = fromBinary(DeliveryReceiptBodySchema, notice.receipt.body);
        receiptVerified = await this.#verifyReceipt(notice, receipt);
      } catch (error) {
        if (isTransient(error)) {
          await this.#call('nack', {
            deliveryId: delivery.deliveryId,
            delayMs: TRANSIENT_NACK_DELAY_MS,
          });
          return undefined;
        }
      }
    }
    return {
      kind,
      messageId: notice.messageId,
      recipientId: notice.recipientId,
      atMs: Number(notice.atMs),
      reason: notice.reason,
      ...(receipt === undefined ? {} : { receipt }),
      receiptVerified,
      ack,
    };
  }

  /** Verifies a receipt with the recipient's key valid when it acknowledged; throws on failure. */
  async #verifyReceipt(
    notice: Notice,
    body: NonNullable<DeliveryNotice['receipt']>,
  ): Promise<boolean> {
    const receipt = notice.receipt;
    if (receipt === undefined) return false;
    const { keys } = await this.#keys.client.call('listKeyHistory', {
      agentId: notice.recipientId,
    });
    const key = keyValidAt(
      keys,
      notice.recipientId,
      receipt.signature?.keyId ?? '',
      body.acknowledgedAtMs,
    );
    await verifyStatement(
      this.#provider,
      DeliveryReceiptBodySchema,
      create(SignedStatementSchema, { body: receipt.body, signature: receipt.signature }),
      key,
      'notice.receipt',
    );
    const digest = this.#sentDigests.get(notice.messageId);
    return (
      body.messageId === notice.messageId &&
      body.senderId === this.agentId &&
      body.recipientId === notice.recipientId &&
      (digest === undefined || sameBytes(digest, body.envelopeDigest))
    );
  }
}
