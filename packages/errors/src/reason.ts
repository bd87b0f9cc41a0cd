/**
 * Machine-readable error reasons, mirroring `proofmessenger.v1.ErrorReason` in
 * `proto/proofmessenger/v1/errors.proto` (same names, same numbers; a test keeps them equal).
 * Kept as a plain const object so this package has no dependency on generated code.
 */
export const Reason = {
  UNSPECIFIED: 0,
  INVALID_ARGUMENT: 1,
  TOO_LARGE: 2,
  UNSUPPORTED_SUITE: 3,
  SIGNATURE_INVALID: 4,
  KEY_UNKNOWN: 5,
  KEY_REVOKED: 6,
  KEY_EXPIRED: 7,
  REPLAY: 8,
  STALE_TIMESTAMP: 9,
  POLICY_DENIED: 10,
  RATE_LIMITED: 11,
  UNAUTHENTICATED: 12,
  NOT_FOUND: 13,
  ALREADY_EXISTS: 14,
  DECRYPTION_FAILED: 15,
  EXPIRED: 16,
  UNAVAILABLE: 17,
  INTERNAL: 18,
  EPOCH_CHANGED: 19,
  FAILED_PRECONDITION: 20,
  AUDIT_INVALID: 21,
} as const;

/** One error reason. */
export type Reason = (typeof Reason)[keyof typeof Reason];
