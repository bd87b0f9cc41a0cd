/**
 * Turns a gRPC status as it arrived (code, message, and the `grpc-status-details-bin` bytes) back
 * into a ProofMessengerError. Both client transports use it — grpc-js through `fromServiceError`,
 * gRPC-web through its trailers — so a refusal is the same typed error whichever way it travelled.
 *
 * Follows gRPC's richer error model (https://grpc.io/docs/guides/error/#richer-error-model): the
 * details bytes are a serialized google.rpc.Status whose details hold one
 * proofmessenger.v1.ErrorDetail. Imports nothing from grpc-js or `node:`, so it runs in browsers.
 */
import { fromBinary } from '@bufbuild/protobuf';
import { anyIs, anyUnpack } from '@bufbuild/protobuf/wkt';
import { Code, ProofMessengerError, Reason } from '@proof-messenger/errors';
import {
  type ErrorDetail,
  ErrorDetailSchema,
  type Status,
  StatusSchema,
} from '@proof-messenger/proto';

/** Trailer that carries the serialized google.rpc.Status. */
export const STATUS_DETAILS_KEY = 'grpc-status-details-bin';

/** A status as received, before decoding. */
export interface WireStatus {
  /** `grpc-status`. */
  readonly code: number;
  /** `grpc-message`, already percent-decoded. */
  readonly message: string;
  /** The `grpc-status-details-bin` bytes, if the status carried them. */
  readonly details?: Uint8Array | undefined;
}

/**
 * The ProofMessengerError a status stands for. Without an ErrorDetail (a status made by a gRPC
 * library or proxy itself, such as DEADLINE_EXCEEDED or UNAVAILABLE, or details that do not
 * decode), the reason is UNSPECIFIED and `retryable` is false; retry policy by code is the
 * caller's decision. An unknown code becomes UNKNOWN. `cause` is kept as the error's cause.
 */
export function decodeStatus(status: WireStatus, cause?: unknown): ProofMessengerError {
  const detail = status.details === undefined ? undefined : readErrorDetail(status.details);
  return toError(status.code, status.message, detail, cause);
}

/**
 * The ProofMessengerError a google.rpc.Status carried inside a response stands for (one item of a
 * SendMessages answer), decoded by the same rules as `decodeStatus`.
 */
export function fromStatus(status: Status, cause?: unknown): ProofMessengerError {
  return toError(status.code, status.message, errorDetailOf(status), cause);
}

function toError(
  wireCode: number,
  message: string,
  detail: ErrorDetail | undefined,
  cause: unknown,
): ProofMessengerError {
  const code = isCode(wireCode) ? wireCode : Code.UNKNOWN;
  if (detail === undefined) {
    return new ProofMessengerError(code, Reason.UNSPECIFIED, message, { cause });
  }
  return new ProofMessengerError(code, toReason(detail.reason), message, {
    cause,
    field: detail.field,
    retryable: detail.retryable,
    retryAfterMs: Number(detail.retryAfterMs),
    metadata: { ...detail.metadata },
  });
}

function readErrorDetail(bytes: Uint8Array): ErrorDetail | undefined {
  try {
    return errorDetailOf(fromBinary(StatusSchema, bytes));
  } catch {
    return undefined;
  }
}

function errorDetailOf(status: Status): ErrorDetail | undefined {
  try {
    const packed = status.details.find((any) => anyIs(any, ErrorDetailSchema));
    return packed === undefined ? undefined : anyUnpack(packed, ErrorDetailSchema);
  } catch {
    return undefined;
  }
}

const codes: ReadonlySet<number> = new Set(Object.values(Code));
const reasons: ReadonlySet<number> = new Set(Object.values(Reason));

function isCode(n: number): n is Code {
  return codes.has(n);
}

function toReason(n: number): Reason {
  return reasons.has(n) ? (n as Reason) : Reason.UNSPECIFIED;
}
