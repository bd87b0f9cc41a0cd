/**
 * What every client call can carry, whichever transport it takes: metadata (the SDK's
 * `authorization`), a deadline and an AbortSignal.
 */

/** Per-call options. */
export interface CallOptions {
  /** Metadata (headers) to send, e.g. `{ authorization: 'Bearer …' }`. */
  readonly metadata?: Readonly<Record<string, string>>;
  /** Milliseconds before the call fails with DEADLINE_EXCEEDED. */
  readonly timeoutMs?: number;
  /** Cancels the call (CANCELLED). */
  readonly signal?: AbortSignal;
}
