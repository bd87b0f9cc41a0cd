/**
 * One subclass per domain failure, each fixing its gRPC code and reason so call sites only say
 * what went wrong. The mapping to gRPC status lives in `@proof-messenger/rpc` (status-mapper).
 */
import { Code } from './code.ts';
import { type ErrorFacts, ProofMessengerError } from './proof-messenger-error.ts';
import { Reason } from './reason.ts';

/** A request field is missing, malformed or of the wrong length. */
export class InvalidArgumentError extends ProofMessengerError {
  override name = 'InvalidArgumentError';
  constructor(message: string, facts?: ErrorFacts) {
    super(Code.INVALID_ARGUMENT, Reason.INVALID_ARGUMENT, message, facts);
  }
}

/** A request or field exceeds a configured size limit. */
export class TooLargeError extends ProofMessengerError {
  override name = 'TooLargeError';
  constructor(message: string, facts?: ErrorFacts) {
    super(Code.RESOURCE_EXHAUSTED, Reason.TOO_LARGE, message, facts);
  }
}

/** An envelope or key names a cryptographic suite this build does not support. */
export class UnsupportedSuiteError extends ProofMessengerError {
  override name = 'UnsupportedSuiteError';
  constructor(message: string, facts?: ErrorFacts) {
    super(Code.INVALID_ARGUMENT, Reason.UNSUPPORTED_SUITE, message, facts);
  }
}

/** A signature (either component of a composite signature) does not verify. */
export class SignatureInvalidError extends ProofMessengerError {
  override name = 'SignatureInvalidError';
  constructor(message: string, facts?: ErrorFacts) {
    super(Code.INVALID_ARGUMENT, Reason.SIGNATURE_INVALID, message, facts);
  }
}

/** Decryption failed: wrong key, or ciphertext, nonce, tag or associated data altered. */
export class DecryptionError extends ProofMessengerError {
  override name = 'DecryptionError';
  constructor(message: string, facts?: ErrorFacts) {
    super(Code.INVALID_ARGUMENT, Reason.DECRYPTION_FAILED, message, facts);
  }
}

/** The named key is not registered. */
export class KeyUnknownError extends ProofMessengerError {
  override name = 'KeyUnknownError';
  constructor(message: string, facts?: ErrorFacts) {
    super(Code.FAILED_PRECONDITION, Reason.KEY_UNKNOWN, message, facts);
  }
}

/** The key was revoked. */
export class KeyRevokedError extends ProofMessengerError {
  override name = 'KeyRevokedError';
  constructor(message: string, facts?: ErrorFacts) {
    super(Code.PERMISSION_DENIED, Reason.KEY_REVOKED, message, facts);
  }
}

/** The key is outside its validity window. */
export class KeyExpiredError extends ProofMessengerError {
  override name = 'KeyExpiredError';
  constructor(message: string, facts?: ErrorFacts) {
    super(Code.FAILED_PRECONDITION, Reason.KEY_EXPIRED, message, facts);
  }
}

/** The message id was already used by this sender. */
export class ReplayError extends ProofMessengerError {
  override name = 'ReplayError';
  constructor(message: string, facts?: ErrorFacts) {
    super(Code.ALREADY_EXISTS, Reason.REPLAY, message, facts);
  }
}

/** The envelope's created-at time is outside the accepted window. */
export class StaleTimestampError extends ProofMessengerError {
  override name = 'StaleTimestampError';
  constructor(message: string, facts?: ErrorFacts) {
    super(Code.FAILED_PRECONDITION, Reason.STALE_TIMESTAMP, message, facts);
  }
}

/** The authorization policy forbids the action. */
export class PolicyDeniedError extends ProofMessengerError {
  override name = 'PolicyDeniedError';
  constructor(message: string, facts?: ErrorFacts) {
    super(Code.PERMISSION_DENIED, Reason.POLICY_DENIED, message, facts);
  }
}

/** Too many requests; retryable after `retryAfterMs`. */
export class RateLimitedError extends ProofMessengerError {
  override name = 'RateLimitedError';
  constructor(message: string, facts?: ErrorFacts) {
    super(Code.RESOURCE_EXHAUSTED, Reason.RATE_LIMITED, message, { retryable: true, ...facts });
  }
}

/** The caller did not prove which agent or operator it is. */
export class UnauthenticatedError extends ProofMessengerError {
  override name = 'UnauthenticatedError';
  constructor(message: string, facts?: ErrorFacts) {
    super(Code.UNAUTHENTICATED, Reason.UNAUTHENTICATED, message, facts);
  }
}

/** The named agent, channel, message or key does not exist. */
export class NotFoundError extends ProofMessengerError {
  override name = 'NotFoundError';
  constructor(message: string, facts?: ErrorFacts) {
    super(Code.NOT_FOUND, Reason.NOT_FOUND, message, facts);
  }
}

/** The thing being created already exists. */
export class AlreadyExistsError extends ProofMessengerError {
  override name = 'AlreadyExistsError';
  constructor(message: string, facts?: ErrorFacts) {
    super(Code.ALREADY_EXISTS, Reason.ALREADY_EXISTS, message, facts);
  }
}

/** The message's time to live has passed. */
export class ExpiredError extends ProofMessengerError {
  override name = 'ExpiredError';
  constructor(message: string, facts?: ErrorFacts) {
    super(Code.FAILED_PRECONDITION, Reason.EXPIRED, message, facts);
  }
}

/** A channel message names an epoch that is no longer current (membership changed). */
export class EpochChangedError extends ProofMessengerError {
  override name = 'EpochChangedError';
  constructor(message: string, facts?: ErrorFacts) {
    super(Code.FAILED_PRECONDITION, Reason.EPOCH_CHANGED, message, facts);
  }
}

/** Well formed, but the current state does not allow it; the message says what must change. */
export class FailedPreconditionError extends ProofMessengerError {
  override name = 'FailedPreconditionError';
  constructor(message: string, facts?: ErrorFacts) {
    super(Code.FAILED_PRECONDITION, Reason.FAILED_PRECONDITION, message, facts);
  }
}

/** A dependency is unavailable; retrying can help. */
export class UnavailableError extends ProofMessengerError {
  override name = 'UnavailableError';
  constructor(message: string, facts?: ErrorFacts) {
    super(Code.UNAVAILABLE, Reason.UNAVAILABLE, message, { retryable: true, ...facts });
  }
}

/** An internal fault; the message to the client stays generic, the cause is logged. */
export class InternalError extends ProofMessengerError {
  override name = 'InternalError';
  constructor(message: string, facts?: ErrorFacts) {
    super(Code.INTERNAL, Reason.INTERNAL, message, facts);
  }
}
