/**
 * gRPC status codes (https://grpc.github.io/grpc/core/md_doc_statuscodes.html). Defined here as a
 * const object rather than imported from grpc-js so libraries that never open a socket (the crypto
 * core, the browser SDK) can carry a status code without depending on a transport.
 */
export const Code = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;

/** One gRPC status code. */
export type Code = (typeof Code)[keyof typeof Code];

/** The name of a code, e.g. `codeName(3) === 'INVALID_ARGUMENT'`. */
export function codeName(code: Code): keyof typeof Code {
  for (const [name, value] of Object.entries(Code)) {
    if (value === code) return name as keyof typeof Code;
  }
  return 'UNKNOWN';
}
