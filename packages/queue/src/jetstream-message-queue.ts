/**
 * The distributed MessageQueue on NATS JetStream, built for nats-server 2.9 (no per-message TTL,
 * no multi-filter consumers) and many registered agents with bounded server state. The layout
 * and its limits are in docs/queues.md; names in `internal/jetstream-layout.ts`. In short:
 *
 * - one file-backed stream per partition, one subject per message
 *   (`pm.q.<partition>.<recipient token>.<priority>.<message token>`);
 * - enqueue publishes with `Nats-Msg-Id: <sender>:<message id>` (the server's duplicate window)
 *   and `Nats-Expected-Last-Subject-Sequence: 0` on the message's own subject, which makes
 *   (recipient, sender, message id) idempotent for as long as the message is stored, atomically
 *   and in one round trip; it resolves after the PubAck;
 * - a recipient's messages are served by four durable pull consumers (one per priority, filtered
 *   on the priority token) created while the agent receives and removed by the server after
 *   `inactiveThresholdMs` without use; receive pulls what is ready, highest priority first;
 * - ack deletes the message from the stream (the delete is the one atomic claim: ack, expiry and
 *   dead-lettering each report only if their delete succeeded), then acks the consumer;
 * - lease and redelivery are the server's: `backoff[i] = ackWait + backoffMs[i]`,
 *   `max_deliver = maxDeliveries + 1`; the extra delivery is where the adapter dead-letters;
 * - TTL is an `Pm-Expires-At` header the adapter enforces on receive and in `collectExpired`.
 *
 * The NatsConnection belongs to the caller: `close` stops this queue, not the connection.
 */
import {
  AckPolicy,
  type ConsumerConfig,
  DeliverPolicy,
  DiscardPolicy,
  type JetStreamClient,
  type JetStreamManager,
  jetstream,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
} from '@nats-io/jetstream';
import { type Msg, type NatsConnection, nanos, type Subscription } from '@nats-io/transport-node';
import { UnavailableError } from '@proof-messenger/errors';
import { deliveryNotFound } from './internal/delivery-not-found.ts';
import {
  formatDeliveryId,
  type ParsedDeliveryId,
  parseAckSubject,
  parseDeliveryId,
} from './internal/jetstream-delivery-id.ts';
import {
  consumerName,
  deadLetterStream,
  deadLetterSubject,
  deadLetterSubjects,
  type JetStreamNames,
  messageSubject,
  messageToken,
  PRIORITIES_HIGH_FIRST,
  partitionSubjects,
  priorityFilter,
  queueStream,
  recipientSubjectPrefix,
  recipientSubjects,
  recipientToken,
} from './internal/jetstream-layout.ts';
import {
  type DecodedMessage,
  deadLetterHeaders,
  decodeMessage,
  expiresAtOf,
  messageHeaders,
} from './internal/jetstream-message-headers.ts';
import { pullNoWait } from './internal/jetstream-pull.ts';
import {
  apiErrorCode,
  CONSUMER_NOT_FOUND,
  mapNatsError,
  STREAM_NOT_FOUND,
  WRONG_LAST_SEQUENCE,
} from './internal/nats-errors.ts';
import { priorityName, zeroCounts } from './internal/priority-counts.ts';
import {
  checkDelay,
  checkDeliveryId,
  checkMessage,
  checkReceiveOptions,
  checkRecipientId,
  checkSettings,
  redeliveryAfterMs,
} from './internal/queue-checks.ts';
import { RecipientWaker } from './internal/recipient-waker.ts';
import {
  DEFAULT_QUEUE_SETTINGS,
  type EnqueueResult,
  type MessageQueue,
  type QueueDelivery,
  type QueueEvent,
  type QueueMessage,
  type QueuePriority,
  type QueueSettings,
  type QueueStats,
  type ReceiveOptions,
} from './message-queue.ts';
import { partitionOf } from './partition-of.ts';

/** Options of `JetStreamMessageQueue.open`. */
export interface JetStreamMessageQueueOptions {
  readonly settings?: QueueSettings;
  /** Prefix of stream names (default `PM_`): letters, digits, `_`, `-`. */
  readonly streamPrefix?: string;
  /** First subject token(s) (default `pm`). */
  readonly subjectPrefix?: string;
  /** How long a stream keeps an unacknowledged message at most (default 7 days). */
  readonly retentionMs?: number;
  /** How long dead letters are kept (default 30 days). */
  readonly deadLetterRetentionMs?: number;
  /** Stream replicas (default 1; use 3 on a cluster for power-loss durability). */
  readonly replicas?: number;
  /** A recipient's consumers are removed after this long unused (default 1 hour). */
  readonly inactiveThresholdMs?: number;
  /** How often a waiting receive pulls again without a wake-up, in ms (default 1000). */
  readonly pollIntervalMs?: number;
  /** Timeout of each request to the server (default 5000 ms). */
  readonly requestTimeoutMs?: number;
  /** Most stored messages `collectExpired` inspects per call (default 10,000). */
  readonly expiryScanLimit?: number;
}

const STREAM_PREFIX = /^[A-Za-z0-9_-]{0,32}$/;
const SUBJECT_PREFIX = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;
/** Most messages one receive pulls. */
const MAX_BATCH = 256;
const DUPLICATE_WINDOW_MS = 120_000;
/** Remembered nacked delivery ids, so this instance refuses to ack them again. */
const MAX_RELEASED = 10_000;
/** Ensured consumers remembered (each is re-checked after half the inactivity threshold). */
const MAX_ENSURED = 50_000;
/** API error codes for "a consumer with this name exists with another configuration". */
const CONSUMER_EXISTS = new Set([10013, 10148]);

function positive(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(`${name} must be a positive integer, got ${value}`);
  }
  return value;
}

interface Resolved {
  readonly settings: QueueSettings;
  readonly names: JetStreamNames;
  readonly retentionMs: number;
  readonly deadLetterRetentionMs: number;
  readonly replicas: number;
  readonly inactiveThresholdMs: number;
  readonly pollIntervalMs: number;
  readonly requestTimeoutMs: number;
  readonly expiryScanLimit: number;
}

function resolve(options: JetStreamMessageQueueOptions): Resolved {
  const settings = options.settings ?? DEFAULT_QUEUE_SETTINGS;
  checkSettings(settings);
  const streamPrefix = options.streamPrefix ?? 'PM_';
  const subjectPrefix = options.subjectPrefix ?? 'pm';
  if (!STREAM_PREFIX.test(streamPrefix)) {
    throw new RangeError(`streamPrefix must match ${STREAM_PREFIX}, got "${streamPrefix}"`);
  }
  if (!SUBJECT_PREFIX.test(subjectPrefix)) {
    throw new RangeError(`subjectPrefix must match ${SUBJECT_PREFIX}, got "${subjectPrefix}"`);
  }
  return {
    settings,
    names: { streamPrefix, subjectPrefix },
    retentionMs: positive('retentionMs', options.retentionMs ?? 7 * 86_400_000),
    deadLetterRetentionMs: positive(
      'deadLetterRetentionMs',
      options.deadLetterRetentionMs ?? 30 * 86_400_000,
    ),
    replicas: positive('replicas', options.replicas ?? 1),
    inactiveThresholdMs: positive('inactiveThresholdMs', options.inactiveThresholdMs ?? 3_600_000),
    pollIntervalMs: positive('pollIntervalMs', options.pollIntervalMs ?? 1_000),
    requestTimeoutMs: positive('requestTimeoutMs', options.requestTimeoutMs ?? 5_000),
    expiryScanLimit: positive('expiryScanLimit', options.expiryScanLimit ?? 10_000),
  };
}

/** The distributed adapter of the MessageQueue port over NATS JetStream. */
export class JetStreamMessageQueue implements MessageQueue {
  readonly #nc: NatsConnection;
  readonly #js: JetStreamClient;
  readonly #jsm: JetStreamManager;
  readonly #cfg: Resolved;
  readonly #waker = new RecipientWaker();
  /** `<partition>/<recipient token>` → when its consumers were last ensured (wall clock). */
  readonly #ensured = new Map<string, number>();
  /** Nacked delivery id → until when it would have been valid. */
  readonly #released = new Map<string, number>();
  /** Per partition: the next stream sequence `collectExpired` inspects. */
  readonly #expiryCursor: number[];
  #nextExpiryPartition = 0;
  #closed = false;

  private constructor(
    nc: NatsConnection,
    js: JetStreamClient,
    jsm: JetStreamManager,
    cfg: Resolved,
  ) {
    this.#nc = nc;
    this.#js = js;
    this.#jsm = jsm;
    this.#cfg = cfg;
    this.#expiryCursor = new Array<number>(cfg.settings.partitions).fill(0);
  }

  /**
   * Creates the partition streams and the dead-letter stream when missing and returns a queue
   * over `nc`.
   * @throws RangeError for invalid options; UnavailableError when JetStream does not answer
   */
  static async open(
    nc: NatsConnection,
    options: JetStreamMessageQueueOptions = {},
  ): Promise<JetStreamMessageQueue> {
    const cfg = resolve(options);
    try {
      const jsm = await jetstreamManager(nc, { timeout: cfg.requestTimeoutMs });
      const js = jetstream(nc, { timeout: cfg.requestTimeoutMs });
      const queue = new JetStreamMessageQueue(nc, js, jsm, cfg);
      for (let p = 0; p < cfg.settings.partitions; p++) {
        await queue.#ensureStream(
          queueStream(cfg.names, p),
          partitionSubjects(cfg.names, p),
          cfg.retentionMs,
          true,
        );
      }
      await queue.#ensureStream(
        deadLetterStream(cfg.names),
        deadLetterSubjects(cfg.names),
        cfg.deadLetterRetentionMs,
        false,
      );
      return queue;
    } catch (err) {
      throw mapNatsError(err);
    }
  }

  async #ensureStream(
    name: string,
    subjects: string,
    maxAgeMs: number,
    oneMessagePerSubject: boolean,
  ): Promise<void> {
    try {
      await this.#jsm.streams.info(name);
      return;
    } catch (err) {
      if (apiErrorCode(err) !== STREAM_NOT_FOUND) throw err;
    }
    await this.#jsm.streams.add({
      name,
      subjects: [subjects],
      storage: StorageType.File,
      retention: RetentionPolicy.Limits,
      discard: DiscardPolicy.Old,
      max_age: nanos(maxAgeMs),
      duplicate_window: nanos(Math.min(DUPLICATE_WINDOW_MS, maxAgeMs)),
      num_replicas: this.#cfg.replicas,
      ...(oneMessagePerSubject ? { max_msgs_per_subject: 1 } : {}),
    });
  }

  #checkOpen(): void {
    if (this.#closed) throw new UnavailableError('the message queue is closed');
  }

  async enqueue(message: QueueMessage, nowMs: number): Promise<EnqueueResult> {
    this.#checkOpen();
    checkMessage(message);
    const { names, settings } = this.#cfg;
    const partition = partitionOf(message.recipientId, settings.partitions);
    const stream = queueStream(names, partition);
    const subject = messageSubject(
      names,
      partition,
      recipientToken(message.recipientId),
      message.priority,
      messageToken(message.senderId, message.messageId),
    );
    try {
      const ack = await this.#js.publish(subject, message.body, {
        msgID: `${message.senderId}:${message.messageId}`,
        headers: messageHeaders(message, nowMs),
        expect: { lastSubjectSequence: 0 },
      });
      if (!ack.duplicate) return { partition, duplicate: false, enqueuedAtMs: nowMs };
      const original = await this.#jsm.streams.getMessage(stream, { seq: ack.seq });
      const decoded = original && decodeMessage(original.header, original.data);
      return { partition, duplicate: true, enqueuedAtMs: decoded?.enqueuedAtMs ?? nowMs };
    } catch (err) {
      if (apiErrorCode(err) !== WRONG_LAST_SEQUENCE) throw mapNatsError(err);
    }
    try {
      const original = await this.#jsm.streams.getMessage(stream, { last_by_subj: subject });
      const decoded = original && decodeMessage(original.header, original.data);
      return { partition, duplicate: true, enqueuedAtMs: decoded?.enqueuedAtMs ?? nowMs };
    } catch (err) {
      throw mapNatsError(err);
    }
  }

  async receive(
    recipientId: string,
    options: ReceiveOptions,
    nowMs: number,
  ): Promise<{ deliveries: QueueDelivery[]; events: QueueEvent[] }> {
    this.#checkOpen();
    checkRecipientId(recipientId);
    checkReceiveOptions(options);
    const { names, settings } = this.#cfg;
    const partition = partitionOf(recipientId, settings.partitions);
    const rtoken = recipientToken(recipientId);
    const key = `${partition}/${rtoken}`;
    const started = performance.now();
    const elapsed = () => Math.floor(performance.now() - started);
    let wakeups: Subscription | undefined;
    try {
      await this.#ensureConsumers(partition, rtoken, false);
      if (options.waitMs > 0) {
        // Every publish on the recipient's subjects also reaches plain subscribers: a wake-up
        // from whichever instance enqueued, with no extra message.
        wakeups = this.#nc.subscribe(recipientSubjects(names, partition, rtoken), {
          callback: () => this.#waker.wake(key),
        });
      }
      for (;;) {
        const batch = await this.#receiveOnce(
          partition,
          rtoken,
          Math.min(options.max, MAX_BATCH),
          nowMs + elapsed(),
        );
        if (batch.deliveries.length > 0 || batch.events.length > 0) return batch;
        const left = options.waitMs - elapsed();
        if (left <= 0 || this.#closed || options.signal?.aborted) return batch;
        await this.#waker.wait(key, Math.min(left, this.#cfg.pollIntervalMs), options.signal);
        if (this.#closed) return batch;
      }
    } catch (err) {
      throw mapNatsError(err);
    } finally {
      wakeups?.unsubscribe();
    }
  }

  /** Creates the recipient's four consumers unless that was done recently. */
  async #ensureConsumers(partition: number, rtoken: string, force: boolean): Promise<void> {
    const key = `${partition}/${rtoken}`;
    const last = this.#ensured.get(key);
    const now = Date.now();
    if (!force && last !== undefined && now - last < this.#cfg.inactiveThresholdMs / 2) return;
    const stream = queueStream(this.#cfg.names, partition);
    await Promise.all(
      PRIORITIES_HIGH_FIRST.map((priority) =>
        this.#upsertConsumer(stream, this.#consumerConfig(partition, rtoken, priority)),
      ),
    );
    this.#ensured.delete(key);
    this.#ensured.set(key, now);
    if (this.#ensured.size > MAX_ENSURED) {
      const oldest = this.#ensured.keys().next();
      if (oldest.done !== true) this.#ensured.delete(oldest.value);
    }
  }

  #consumerConfig(
    partition: number,
    rtoken: string,
    priority: 1 | 2 | 3 | 4,
  ): Partial<ConsumerConfig> & { durable_name: string } {
    const { settings, names, inactiveThresholdMs } = this.#cfg;
    // The server redelivers the n-th delivery backoff[n-1] after it: the lease plus the pause.
    const backoff = Array.from({ length: settings.maxDeliveries }, (_, i) =>
      nanos(redeliveryAfterMs(settings, i + 1)),
    );
    return {
      durable_name: consumerName(rtoken, priority),
      filter_subject: priorityFilter(names, partition, rtoken, priority),
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      ack_wait: backoff[0] ?? nanos(settings.ackWaitMs),
      backoff,
      // One delivery more than allowed: the extra one is where the adapter dead-letters.
      max_deliver: settings.maxDeliveries + 1,
      inactive_threshold: nanos(inactiveThresholdMs),
      max_ack_pending: 1_000,
    };
  }

  async #upsertConsumer(
    stream: string,
    config: Partial<ConsumerConfig> & { durable_name: string },
  ): Promise<void> {
    try {
      await this.#jsm.consumers.add(stream, config);
    } catch (err) {
      const code = apiErrorCode(err);
      if (code === undefined || !CONSUMER_EXISTS.has(code)) throw err;
      await this.#jsm.consumers.update(stream, config.durable_name, config);
    }
  }

  async #receiveOnce(
    partition: number,
    rtoken: string,
    max: number,
    now: number,
  ): Promise<{ deliveries: QueueDelivery[]; events: QueueEvent[] }> {
    const stream = queueStream(this.#cfg.names, partition);
    const deliveries: QueueDelivery[] = [];
    const events: QueueEvent[] = [];
    for (const priority of PRIORITIES_HIGH_FIRST) {
      const want = max - deliveries.length;
      if (want <= 0) break;
      const consumer = consumerName(rtoken, priority);
      const timeout = this.#cfg.requestTimeoutMs;
      let pulled = await pullNoWait(this.#nc, stream, consumer, want, timeout);
      if (pulled.consumerMissing) {
        await this.#ensureConsumers(partition, rtoken, true);
        pulled = await pullNoWait(this.#nc, stream, consumer, want, timeout);
      }
      for (const msg of pulled.messages) {
        await this.#handleDelivered(msg, stream, partition, rtoken, now, deliveries, events);
      }
    }
    return { deliveries, events };
  }

  /** Turns one message the server delivered into a delivery, or into an event (TTL, DLQ). */
  async #handleDelivered(
    msg: Msg,
    stream: string,
    partition: number,
    rtoken: string,
    now: number,
    deliveries: QueueDelivery[],
    events: QueueEvent[],
  ): Promise<void> {
    const reply = msg.reply ?? '';
    const ack = parseAckSubject(reply);
    if (ack === undefined) return;
    const decoded = decodeMessage(msg.headers, msg.data);
    if (decoded === undefined) {
      // Not written by this adapter: never deliver it, never see it again.
      this.#nc.publish(reply, '+TERM');
      return;
    }
    const { message } = decoded;
    const { maxDeliveries } = this.#cfg.settings;
    if (message.expiresAtMs <= now) {
      if (await this.#claim(stream, ack.streamSeq)) {
        events.push({ type: 'expired', message, atMs: now, deliveryCount: ack.deliveryCount - 1 });
      }
      this.#nc.publish(reply, '+TERM');
      return;
    }
    if (ack.deliveryCount > maxDeliveries) {
      await this.#js.publish(deadLetterSubject(this.#cfg.names, partition, rtoken), msg.data, {
        msgID: `${stream}:${ack.streamSeq}`,
        headers: deadLetterHeaders(message, decoded.enqueuedAtMs, ack.deliveryCount - 1),
      });
      if (await this.#claim(stream, ack.streamSeq)) {
        events.push({
          type: 'dead-lettered',
          message,
          atMs: now,
          deliveryCount: ack.deliveryCount - 1,
        });
      }
      this.#nc.publish(reply, '+TERM');
      return;
    }
    deliveries.push({
      deliveryId: formatDeliveryId(now, reply),
      message,
      deliveryCount: ack.deliveryCount,
      enqueuedAtMs: decoded.enqueuedAtMs,
    });
  }

  /**
   * Deletes a stored message; true only for the one caller whose delete removed it. Ack, expiry
   * and dead-lettering all go through here, so each message is acked or reported once.
   */
  async #claim(stream: string, seq: number): Promise<boolean> {
    try {
      return await this.#jsm.streams.deleteMessage(stream, seq, false);
    } catch (err) {
      if (err instanceof Error && /no message found|not found/i.test(err.message)) return false;
      throw err;
    }
  }

  /**
   * Checks a client-supplied delivery id against the recipient: well formed, on the recipient's
   * partition stream and one of its consumers, lease still running, not nacked here; then that
   * the stored message at that sequence is on the recipient's subject.
   */
  async #authorize(
    recipientId: string,
    deliveryId: string,
    nowMs: number,
  ): Promise<{ parsed: ParsedDeliveryId; decoded: DecodedMessage }> {
    const { names, settings } = this.#cfg;
    const partition = partitionOf(recipientId, settings.partitions);
    const rtoken = recipientToken(recipientId);
    const parsed = parseDeliveryId(deliveryId);
    const valid =
      parsed !== undefined &&
      parsed.stream === queueStream(names, partition) &&
      PRIORITIES_HIGH_FIRST.some((p) => consumerName(rtoken, p) === parsed.consumer) &&
      nowMs < parsed.issuedAtMs + settings.ackWaitMs &&
      !this.#released.has(deliveryId);
    if (!valid) throw deliveryNotFound(recipientId, deliveryId);
    const stored = await this.#jsm.streams.getMessage(parsed.stream, { seq: parsed.streamSeq });
    const decoded = stored?.subject.startsWith(recipientSubjectPrefix(names, partition, rtoken))
      ? decodeMessage(stored.header, stored.data)
      : undefined;
    if (decoded === undefined) throw deliveryNotFound(recipientId, deliveryId);
    return { parsed, decoded };
  }

  async ack(recipientId: string, deliveryId: string, nowMs: number): Promise<QueueMessage> {
    this.#checkOpen();
    checkRecipientId(recipientId);
    checkDeliveryId(deliveryId);
    try {
      const { parsed, decoded } = await this.#authorize(recipientId, deliveryId, nowMs);
      if (!(await this.#claim(parsed.stream, parsed.streamSeq))) {
        throw deliveryNotFound(recipientId, deliveryId);
      }
      // The message is gone from the stream; the ack only clears the consumer's pending entry.
      this.#nc.publish(parsed.ackSubject, '+ACK');
      return decoded.message;
    } catch (err) {
      throw mapNatsError(err);
    }
  }

  async nack(
    recipientId: string,
    deliveryId: string,
    delayMs: number,
    nowMs: number,
  ): Promise<void> {
    this.#checkOpen();
    checkRecipientId(recipientId);
    checkDeliveryId(deliveryId);
    checkDelay(delayMs);
    try {
      const { parsed } = await this.#authorize(recipientId, deliveryId, nowMs);
      const delay = Math.ceil(delayMs);
      this.#nc.publish(
        parsed.ackSubject,
        delay === 0 ? '-NAK' : `-NAK ${JSON.stringify({ delay: nanos(delay) })}`,
      );
      this.#release(deliveryId, parsed.issuedAtMs + this.#cfg.settings.ackWaitMs, nowMs);
      await this.#nc.flush();
    } catch (err) {
      throw mapNatsError(err);
    }
  }

  #release(deliveryId: string, validUntilMs: number, nowMs: number): void {
    this.#released.set(deliveryId, validUntilMs);
    if (this.#released.size <= MAX_RELEASED) return;
    for (const [id, until] of this.#released) {
      if (until <= nowMs || this.#released.size > MAX_RELEASED) this.#released.delete(id);
    }
  }

  async collectExpired(nowMs: number, limit: number): Promise<QueueEvent[]> {
    this.#checkOpen();
    if (!Number.isInteger(limit) || limit < 1) {
      throw new RangeError(`limit must be a positive integer, got ${limit}`);
    }
    const { partitions } = this.#cfg.settings;
    const events: QueueEvent[] = [];
    let budget = this.#cfg.expiryScanLimit;
    try {
      for (let i = 0; i < partitions && events.length < limit && budget > 0; i++) {
        const partition = this.#nextExpiryPartition;
        this.#nextExpiryPartition = (partition + 1) % partitions;
        budget -= await this.#scanPartition(partition, nowMs, limit, budget, events);
      }
    } catch (err) {
      throw mapNatsError(err);
    }
    return events;
  }

  /**
   * Inspects the headers of up to `budget` stored messages of one partition from its cursor on,
   * claiming and reporting the expired ones; wraps to the start at the end. Returns how many
   * messages it inspected.
   */
  async #scanPartition(
    partition: number,
    nowMs: number,
    limit: number,
    budget: number,
    events: QueueEvent[],
  ): Promise<number> {
    const stream = queueStream(this.#cfg.names, partition);
    const start = Math.max(1, this.#expiryCursor[partition] ?? 1);
    const info = await this.#jsm.consumers.add(stream, {
      ack_policy: AckPolicy.None,
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: start,
      headers_only: true,
      mem_storage: true,
      inactive_threshold: nanos(30_000),
    });
    let inspected = 0;
    try {
      for (;;) {
        const batch = Math.min(MAX_BATCH, budget - inspected);
        if (batch <= 0 || events.length >= limit) return inspected;
        const { messages } = await pullNoWait(
          this.#nc,
          stream,
          info.name,
          batch,
          this.#cfg.requestTimeoutMs,
        );
        for (const msg of messages) {
          inspected += 1;
          const seq = parseAckSubject(msg.reply ?? '')?.streamSeq;
          if (seq === undefined) continue;
          this.#expiryCursor[partition] = seq + 1;
          if (events.length >= limit || expiresAtOf(msg.headers) > nowMs) continue;
          const stored = await this.#jsm.streams.getMessage(stream, { seq });
          const decoded = stored && decodeMessage(stored.header, stored.data);
          if (!decoded || decoded.message.expiresAtMs > nowMs) continue;
          if (await this.#claim(stream, seq)) {
            events.push({
              type: 'expired',
              message: decoded.message,
              atMs: nowMs,
              deliveryCount: 0,
            });
          }
        }
        if (messages.length < batch) {
          this.#expiryCursor[partition] = 0;
          return inspected;
        }
      }
    } finally {
      await this.#jsm.consumers.delete(stream, info.name).catch(() => false);
    }
  }

  async depth(recipientId: string): Promise<number> {
    this.#checkOpen();
    checkRecipientId(recipientId);
    const { names, settings } = this.#cfg;
    const partition = partitionOf(recipientId, settings.partitions);
    try {
      const info = await this.#jsm.streams.info(queueStream(names, partition), {
        subjects_filter: recipientSubjects(names, partition, recipientToken(recipientId)),
      });
      return Object.values(info.state.subjects ?? {}).reduce((sum, n) => sum + n, 0);
    } catch (err) {
      throw mapNatsError(err);
    }
  }

  async deadLetters(recipientId: string, limit: number): Promise<QueueMessage[]> {
    this.#checkOpen();
    checkRecipientId(recipientId);
    const want = Math.min(Math.max(0, Math.floor(limit)), MAX_BATCH);
    if (want === 0) return [];
    const { names, settings } = this.#cfg;
    const partition = partitionOf(recipientId, settings.partitions);
    const stream = deadLetterStream(names);
    try {
      const info = await this.#jsm.consumers.add(stream, {
        filter_subject: deadLetterSubject(names, partition, recipientToken(recipientId)),
        ack_policy: AckPolicy.None,
        deliver_policy: DeliverPolicy.All,
        mem_storage: true,
        inactive_threshold: nanos(30_000),
      });
      try {
        const { messages } = await pullNoWait(
          this.#nc,
          stream,
          info.name,
          want,
          this.#cfg.requestTimeoutMs,
        );
        return messages.flatMap((m) => decodeMessage(m.headers, m.data)?.message ?? []);
      } finally {
        await this.#jsm.consumers.delete(stream, info.name).catch(() => false);
      }
    } catch (err) {
      throw mapNatsError(err);
    }
  }

  /**
   * Stored messages per priority come from the stream's subject counts (the priority is a subject
   * token); the never-delivered ones are the priority consumer's `num_pending` (all of them while
   * the consumer does not exist); the rest are in flight. Dead letters are the recipient's subject
   * count in the dead-letter stream.
   */
  async stats(recipientId: string): Promise<QueueStats> {
    this.#checkOpen();
    checkRecipientId(recipientId);
    const { names, settings } = this.#cfg;
    const partition = partitionOf(recipientId, settings.partitions);
    const rtoken = recipientToken(recipientId);
    const stream = queueStream(names, partition);
    try {
      const [info, dead] = await Promise.all([
        this.#jsm.streams.info(stream, {
          subjects_filter: recipientSubjects(names, partition, rtoken),
        }),
        this.#jsm.streams.info(deadLetterStream(names), {
          subjects_filter: deadLetterSubject(names, partition, rtoken),
        }),
      ]);
      const stored = new Map<QueuePriority, number>();
      for (const [subject, n] of Object.entries(info.state.subjects ?? {})) {
        const priority = Number(subject.split('.').at(-2)) as QueuePriority;
        stored.set(priority, (stored.get(priority) ?? 0) + n);
      }
      const ready = zeroCounts();
      let inFlight = 0;
      for (const [priority, count] of stored) {
        const undelivered = Math.min(
          count,
          await this.#undelivered(stream, rtoken, priority, count),
        );
        ready[priorityName(priority)] += undelivered;
        inFlight += count - undelivered;
      }
      const deadLettered = Object.values(dead.state.subjects ?? {}).reduce((sum, n) => sum + n, 0);
      return { ready, inFlight, deadLettered };
    } catch (err) {
      throw mapNatsError(err);
    }
  }

  /** Messages the recipient's consumer for `priority` has not delivered yet. */
  async #undelivered(
    stream: string,
    rtoken: string,
    priority: QueuePriority,
    stored: number,
  ): Promise<number> {
    try {
      return (await this.#jsm.consumers.info(stream, consumerName(rtoken, priority))).num_pending;
    } catch (err) {
      if (apiErrorCode(err) === CONSUMER_NOT_FOUND) return stored;
      throw err;
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#waker.wakeAll();
  }
}
