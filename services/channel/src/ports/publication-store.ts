/**
 * Port: accepted channel publications and the progress of their fanout. A publication is stored
 * before the publisher gets its answer; its fanout then walks the members in agent-id order and
 * records how far it got after each batch, so a fanout interrupted by a crash resumes where it
 * stopped instead of starting over. Claims (a lease per publication) keep two instances from
 * fanning out the same publication at once; the queue's idempotency absorbs the one batch that may
 * be enqueued twice after a crash.
 */

/** One accepted publication. */
export interface PublicationRecord {
  readonly senderId: string;
  readonly messageId: string;
  readonly channelId: string;
  /** SHA-256 of the envelope's signed bytes: tells a retry from a replay. */
  readonly digest: Uint8Array;
  readonly epoch: number;
  /** The serialized Envelope, as each subscriber receives it. */
  readonly envelope: Uint8Array;
  /** 1-4, as the queue's priorities. */
  readonly priority: number;
  readonly expiresAtMs: number;
  readonly acceptedAtMs: number;
  readonly subscriberCount: number;
  /** Member key ids it is encrypted to (sender-key distributions); empty: every member. */
  readonly keyIds: readonly string[];
}

/** A publication under fanout, with how far it got. */
export interface PendingFanout extends PublicationRecord {
  /** The last member (agent id) whose copy is stored; '' before the first. */
  readonly cursor: string;
}

/** Whether a publication is new, a retry of an accepted one, or a replay of its id. */
export type PublicationVerdict =
  | { readonly kind: 'new' }
  | { readonly kind: 'retry'; readonly subscriberCount: number }
  | { readonly kind: 'conflict' };

export interface PublicationStore {
  accept(publication: PublicationRecord): Promise<PublicationVerdict>;
  /** Leases up to `limit` unfinished fanouts for `leaseMs`. */
  claim(nowMs: number, leaseMs: number, limit: number): Promise<PendingFanout[]>;
  /** Records that every member up to `cursor` has its copy, and extends the lease. */
  advance(senderId: string, messageId: string, cursor: string, leaseUntilMs: number): Promise<void>;
  /** Marks the fanout done. */
  complete(senderId: string, messageId: string): Promise<void>;
  /** Forgets publications past their expiry; returns how many. */
  prune(nowMs: number): Promise<number>;
}
