/**
 * Port: the memory of which message ids each sender has used, kept durably for longer than any
 * envelope can be accepted (replay window + maximum TTL), so a replay is refused after a restart
 * and long after the queue's own dedupe window. Adapters: the SQL store on node:sqlite (embedded)
 * or PostgreSQL (distributed).
 */

/** What the guard knew about a (sender, message id) before this call. */
export type ReplayVerdict =
  /** First time: remembered now. */
  | { readonly kind: 'new' }
  /**
   * The same envelope again (same digest): an idempotent retry; answer as before. `enqueued` says
   * whether an earlier attempt got it into the queue (then nothing is stored again).
   */
  | {
      readonly kind: 'retry';
      readonly partition: number;
      readonly acceptedAtMs: number;
      readonly enqueued: boolean;
    }
  /** The id was used for a different envelope: a replay or a forgery attempt. */
  | { readonly kind: 'conflict' };

export interface ReplayGuard {
  /**
   * Atomically records (sender, message id) → digest, unless already recorded.
   * @param partition where the message is routed (returned to retries)
   * @param forgetAfterMs when the record may be dropped (created-at + window + TTL)
   * @param enqueued write a new record as already enqueued: only inside a transaction that also
   *   enqueues the message (they commit together), which saves the `markEnqueued` write
   */
  remember(
    senderId: string,
    messageId: string,
    digest: Uint8Array,
    partition: number,
    nowMs: number,
    forgetAfterMs: number,
    enqueued?: boolean,
  ): Promise<ReplayVerdict>;
  /** Records that the queue durably stored (sender, message id). */
  markEnqueued(senderId: string, messageId: string): Promise<void>;
  /** Drops records whose forgetAfterMs has passed; returns how many. */
  prune(nowMs: number): Promise<number>;
}
