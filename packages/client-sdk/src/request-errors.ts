/**
 * Why `AgentClient.request` gave up waiting for a reply. Both carry the correlation id, so a caller
 * can still match a late reply (it then arrives through `receive`).
 */
import { Code, type ErrorFacts, ProofMessengerError, Reason } from '@proof-messenger/errors';

/** No reply arrived within the request's `timeoutMs`. */
export class RequestTimeoutError extends ProofMessengerError {
  override name = 'RequestTimeoutError';
  readonly correlationId: string;
  constructor(message: string, correlationId: string, facts?: ErrorFacts) {
    super(Code.DEADLINE_EXCEEDED, Reason.EXPIRED, message, facts);
    this.correlationId = correlationId;
  }
}

/** The request's AbortSignal fired before a reply arrived. */
export class RequestAbortedError extends ProofMessengerError {
  override name = 'RequestAbortedError';
  readonly correlationId: string;
  constructor(message: string, correlationId: string, facts?: ErrorFacts) {
    super(Code.CANCELLED, Reason.UNSPECIFIED, message, facts);
    this.correlationId = correlationId;
  }
}
