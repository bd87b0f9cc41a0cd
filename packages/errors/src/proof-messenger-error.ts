/**
 * The base error of every Proof-Messenger failure. It carries what a gRPC status needs (a code and
 * a message that tells the caller what to fix) plus the typed detail of `ErrorDetail` in
 * `errors.proto`. Causes go in `cause` (ErrorOptions) and are never sent to a client.
 */
import type { Code } from './code.ts';
import type { Reason } from './reason.ts';

/** Optional facts attached to an error. */
export interface ErrorFacts extends ErrorOptions {
  /** Path of the offending field, e.g. `envelope.header.ttl_seconds`. */
  field?: string;
  /** Whether retrying the same request can succeed. Defaults per subclass. */
  retryable?: boolean;
  /** Suggested wait before a retry, in milliseconds. */
  retryAfterMs?: number;
  /** Extra non-secret facts (limits, ids). */
  metadata?: Record<string, string>;
}

/** Base class: a gRPC status code, a reason, and a message for the caller. */
export class ProofMessengerError extends Error {
  override name = 'ProofMessengerError';
  readonly code: Code;
  readonly reason: Reason;
  readonly field: string;
  readonly retryable: boolean;
  readonly retryAfterMs: number;
  readonly metadata: Readonly<Record<string, string>>;

  constructor(code: Code, reason: Reason, message: string, facts: ErrorFacts = {}) {
    super(message, facts.cause === undefined ? undefined : { cause: facts.cause });
    this.code = code;
    this.reason = reason;
    this.field = facts.field ?? '';
    this.retryable = facts.retryable ?? false;
    this.retryAfterMs = facts.retryAfterMs ?? 0;
    this.metadata = facts.metadata ?? {};
  }
}
