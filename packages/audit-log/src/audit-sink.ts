/**
 * The port every service records audit events through, and the names of those events. Recording
 * is fire-and-forget for the caller: the recorder behind it batches events into the log (one
 * transaction per batch), retries when storage is briefly unavailable and counts what it could
 * not store, so an RPC never waits on, or fails because of, the audit log. Events carry
 * identifiers and hashes only, never plaintext or key material.
 */
import type { AuditOutcome } from './audit-entry.ts';

/** One event as a service reports it; the log adds sequence, time and chaining. */
export interface AuditEvent {
  /** Who acted: an agent id, `operator:<name>` or `service:<name>`. */
  readonly actor: string;
  /** What happened: one of AUDIT_ACTIONS (or another dotted name). */
  readonly action: string;
  /** What it happened to: an agent id, `channel:<id>`, `policy:<version>`. */
  readonly target: string;
  readonly outcome: AuditOutcome;
  /** Why: the refusal reason or the deciding policy; empty when there is none. */
  readonly reason?: string;
  /** Further non-secret facts (key ids, counts, priorities). */
  readonly details?: Readonly<Record<string, string>>;
  readonly messageIds?: readonly string[];
  /** SHA-256 of the envelopes concerned (never their plaintext). */
  readonly messageHashes?: readonly Uint8Array[];
  /**
   * When it happened, ms since the Unix epoch; the recorder's clock when absent. The log stores
   * it as the entry's time, raised to the previous entry's if that is later (entry times never
   * decrease); put a time that must be kept exactly in `details` as well.
   */
  readonly timeMs?: number;
}

/** Where services send audit events. */
export interface AuditSink {
  /** Queues one event for the log; never throws for storage trouble. */
  record(event: AuditEvent): void;
}

/** A sink that keeps nothing: for tests of code that audits but is not about auditing. */
export const DISCARD_AUDIT: AuditSink = { record: () => undefined };

/** The event names the services record; queries filter on them. */
export const AUDIT_ACTIONS = {
  identityRegistered: 'identity.registered',
  identityKeyRotated: 'identity.key_rotated',
  identityRevoked: 'identity.revoked',
  identityKeyRevoked: 'identity.key_revoked',
  enrollmentIssued: 'enrollment.issued',
  prekeysUploaded: 'prekeys.uploaded',
  prekeyConsumed: 'prekey.consumed',
  sessionKeyRotated: 'session.key_rotated',
  sessionRotationDue: 'session.rotation_due',
  messageSent: 'message.sent',
  messageRefused: 'message.refused',
  messageDelivered: 'message.delivered',
  messageAcknowledged: 'message.acknowledged',
  messageExpired: 'message.expired',
  messageDeadLettered: 'message.dead_lettered',
  channelCreated: 'channel.created',
  channelUpdated: 'channel.updated',
  channelDeleted: 'channel.deleted',
  channelSubscribed: 'channel.subscribed',
  channelUnsubscribed: 'channel.unsubscribed',
  channelPublished: 'channel.published',
  policyPublished: 'policy.published',
  policyActivated: 'policy.activated',
  policyRefused: 'policy.refused',
  policyDenied: 'policy.denied',
  policyFailOpen: 'policy.fail_open',
  rateLimited: 'rate_limit.refused',
} as const;
