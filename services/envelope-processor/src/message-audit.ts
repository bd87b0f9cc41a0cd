/**
 * The envelope processor's entries in the audit log: a direct message's life from the send to
 * its end (sent or refused, each delivery, the acknowledgement, expiry, dead-lettering). Entries
 * carry ids and the envelope digest (SHA-256 of the exact signed header and payload bytes, the
 * digest delivery receipts sign; see `envelopeDigest`), never content. All through
 * `AuditSink.record`: fire-and-forget, a call never waits on the log.
 *
 * Who appears where (so `agentId` queries find both parties):
 *
 * | action | actor | target |
 * | --- | --- | --- |
 * | message.sent, message.refused | the sender | the recipient ('' for a whole refused batch) |
 * | message.delivered, message.expired, message.dead_lettered | `service:envelope-processor` | the recipient (details.sender names the sender) |
 * | message.acknowledged | the recipient | the sender |
 *
 * A `message.sent` entry of SendMessages covers every envelope of the call with the same
 * recipient and facts (`details.envelopes` counts them when more than one, `details.sizeBytes`
 * is their sum): an entry per envelope cost more main-thread CPU than the envelope's checks.
 *
 * Not audited, on purpose: requests from unauthenticated callers and envelopes that do not decode
 * (refused before anyone is known to stand behind them; they are answered and, through the status
 * mapper, logged, but an anonymous junk flood must not be able to flood the log), notices (the
 * platform's own messages) and channel copies (the channel service audits the publication).
 * Rate-limit refusals are audited at most once per second per sender (as the limiter audits its
 * own), with the number held back since in `details.refusals`.
 */
import { fromBinary } from '@bufbuild/protobuf';
import {
  AUDIT_ACTIONS,
  AUDIT_ENTRY_LIMITS,
  type AuditOutcome,
  type AuditSink,
} from '@proof-messenger/audit-log';
import type { CryptoProvider } from '@proof-messenger/crypto';
import { ProofMessengerError, Reason } from '@proof-messenger/errors';
import { type Envelope, EnvelopeSchema } from '@proof-messenger/proto';
import { envelopeDigest } from '@proof-messenger/protocol';
import type { QueueEvent, QueueMessage } from '@proof-messenger/queue';

/** The actor of what the service does on its own. */
export const SERVICE_ACTOR = 'service:envelope-processor';

const REASON_NAMES: ReadonlyMap<number, string> = new Map(
  Object.entries(Reason).map(([name, value]) => [value, name]),
);
const MAX_REASON_CHARS = 300;
const THROTTLE_MS = 1000;
const MAX_THROTTLED = 10_000;
const MAX_IDS_PER_ENTRY = AUDIT_ENTRY_LIMITS.maxMessageIds;

/** The facts of a stored send. */
export interface SentFacts {
  readonly senderId: string;
  readonly recipientId: string;
  readonly messageId: string;
  readonly digest: Uint8Array;
  readonly priority: string;
  readonly sizeBytes: number;
  readonly ttlMs: number;
  readonly cleartext: boolean;
  readonly partition: number;
  /** A retry whose first attempt did not confirm the store. */
  readonly retry: boolean;
}

/** What is known about a refused send (the message id once the envelope decoded). */
export interface RefusedFacts {
  readonly senderId: string;
  readonly recipientId: string;
  readonly messageId?: string;
  readonly details?: Readonly<Record<string, string>>;
}

/** `RATE_LIMITED: too many sends …`: the reason name and the message, clipped. */
export function refusalReason(error: unknown): string {
  if (!(error instanceof ProofMessengerError)) return 'INTERNAL: internal error';
  const text = `${REASON_NAMES.get(error.reason) ?? 'UNSPECIFIED'}: ${error.message}`;
  return text.length > MAX_REASON_CHARS ? `${text.slice(0, MAX_REASON_CHARS - 1)}…` : text;
}

function outcomeOf(error: unknown): AuditOutcome {
  return error instanceof ProofMessengerError &&
    error.reason !== Reason.INTERNAL &&
    error.reason !== Reason.UNAVAILABLE
    ? 'denied'
    : 'failure';
}

/** Records the envelope processor's audit events (see the module header). */
export class MessageAudit {
  readonly #sink: AuditSink;
  readonly #provider: CryptoProvider;
  readonly #now: () => number;
  /** Per sender: when a rate-limit refusal was last written, and how many were held back since. */
  readonly #throttles = new Map<string, { lastMs: number; heldBack: number }>();

  constructor(sink: AuditSink, provider: CryptoProvider, now: () => number) {
    this.#sink = sink;
    this.#provider = provider;
    this.#now = now;
  }

  /** A send the queue stored (not an idempotent retry that stored nothing). */
  sent(facts: SentFacts): void {
    this.#recordSent([facts]);
  }

  /**
   * The stored sends of one SendMessages call: one entry per group of sends that share sender,
   * recipient, priority, TTL, content mode, partition and retry flag (at most
   * AUDIT_ENTRY_LIMITS.maxMessageIds each), so a batch to one recipient costs one entry, not one
   * per envelope. A group of one is the same entry `sent` writes.
   */
  sentTogether(all: readonly SentFacts[]): void {
    const groups = new Map<string, SentFacts[]>();
    for (const facts of all) {
      const key = JSON.stringify([
        facts.senderId,
        facts.recipientId,
        facts.priority,
        facts.ttlMs,
        facts.cleartext,
        facts.partition,
        facts.retry,
      ]);
      const group = groups.get(key);
      if (group === undefined) groups.set(key, [facts]);
      else group.push(facts);
    }
    for (const group of groups.values()) {
      for (let i = 0; i < group.length; i += MAX_IDS_PER_ENTRY) {
        this.#recordSent(group.slice(i, i + MAX_IDS_PER_ENTRY));
      }
    }
  }

  /** One `message.sent` entry for sends with the same facts but id, digest and size. */
  #recordSent(group: readonly SentFacts[]): void {
    const [first] = group;
    if (first === undefined) return;
    let sizeBytes = 0;
    for (const facts of group) sizeBytes += facts.sizeBytes;
    this.#sink.record({
      actor: first.senderId,
      action: AUDIT_ACTIONS.messageSent,
      target: first.recipientId,
      outcome: 'success',
      details: {
        priority: first.priority,
        sizeBytes: String(sizeBytes),
        ttlMs: String(first.ttlMs),
        contentMode: first.cleartext ? 'signed_cleartext' : 'encrypted',
        partition: String(first.partition),
        ...(group.length > 1 ? { envelopes: String(group.length) } : {}),
        ...(first.retry ? { retry: 'true' } : {}),
      },
      messageIds: group.map((facts) => facts.messageId),
      messageHashes: group.map((facts) => facts.digest),
    });
  }

  /** A send of an authenticated sender refused with `error`. */
  refused(facts: RefusedFacts, error: unknown): void {
    const details: Record<string, string> = { ...facts.details };
    if (error instanceof ProofMessengerError && error.reason === Reason.RATE_LIMITED) {
      const heldBack = this.#throttle(facts.senderId);
      if (heldBack === undefined) return;
      if (heldBack > 0) details.refusals = String(heldBack + 1);
    }
    this.#sink.record({
      actor: facts.senderId,
      action: AUDIT_ACTIONS.messageRefused,
      target: facts.recipientId,
      outcome: outcomeOf(error),
      reason: refusalReason(error),
      details,
      ...(facts.messageId === undefined ? {} : { messageIds: [facts.messageId] }),
    });
  }

  /** A direct message handed to its recipient (`attempt` = its delivery count). */
  delivered(
    message: Pick<QueueMessage, 'messageId' | 'senderId' | 'recipientId'>,
    envelope: Envelope,
    attempt: number,
  ): void {
    this.#sink.record({
      actor: SERVICE_ACTOR,
      action: AUDIT_ACTIONS.messageDelivered,
      target: message.recipientId,
      outcome: 'success',
      details: { sender: message.senderId, attempt: String(attempt) },
      messageIds: [message.messageId],
      messageHashes: [envelopeDigest(this.#provider, envelope.header, envelope.payload)],
    });
  }

  /** The recipient acknowledged a direct message, with no receipt or a valid or invalid one. */
  acknowledged(
    message: QueueMessage,
    receipt: 'none' | 'valid' | 'invalid',
    digest?: Uint8Array,
  ): void {
    this.#sink.record({
      actor: message.recipientId,
      action: AUDIT_ACTIONS.messageAcknowledged,
      target: message.senderId,
      outcome: 'success',
      details: { receipt },
      messageIds: [message.messageId],
      messageHashes: [digest ?? this.#digestOf(message)],
    });
  }

  /** A direct message expired or was dead-lettered (what the queue reported on its own). */
  queueEvent(event: QueueEvent, reason: string): void {
    const { message } = event;
    this.#sink.record({
      actor: SERVICE_ACTOR,
      action:
        event.type === 'expired' ? AUDIT_ACTIONS.messageExpired : AUDIT_ACTIONS.messageDeadLettered,
      target: message.recipientId,
      outcome: 'failure',
      reason,
      details: {
        sender: message.senderId,
        ...(event.type === 'dead-lettered' ? { deliveries: String(event.deliveryCount) } : {}),
      },
      messageIds: [message.messageId],
      messageHashes: [this.#digestOf(message)],
    });
  }

  #digestOf(message: QueueMessage): Uint8Array {
    const envelope = fromBinary(EnvelopeSchema, message.body);
    return envelopeDigest(this.#provider, envelope.header, envelope.payload);
  }

  /** undefined: suppress (held back); otherwise how many were held back since the last entry. */
  #throttle(senderId: string): number | undefined {
    const now = this.#now();
    const throttle = this.#throttles.get(senderId);
    if (throttle !== undefined && now - throttle.lastMs < THROTTLE_MS) {
      throttle.heldBack++;
      return undefined;
    }
    if (throttle === undefined && this.#throttles.size >= MAX_THROTTLED) {
      const oldest = this.#throttles.keys().next().value;
      if (oldest !== undefined) this.#throttles.delete(oldest);
    }
    this.#throttles.delete(senderId);
    this.#throttles.set(senderId, { lastMs: now, heldBack: 0 });
    return throttle?.heldBack ?? 0;
  }
}
