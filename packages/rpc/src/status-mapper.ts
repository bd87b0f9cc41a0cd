/**
 * The one module that turns errors into gRPC statuses, and statuses back into errors.
 *
 * Follows gRPC's richer error model (https://grpc.io/docs/guides/error/#richer-error-model): the
 * status message tells the caller what to fix, and the `grpc-status-details-bin` trailer carries a
 * serialized google.rpc.Status whose details hold exactly one proofmessenger.v1.ErrorDetail.
 *
 * What is never sent: causes, stacks, and the message of anything that is not a
 * ProofMessengerError. Such errors, and every ProofMessengerError with code INTERNAL, reach the
 * client as INTERNAL with a generic message and are logged here. Whatever else is held back (the
 * `cause` of an error that is sent) is logged as a warning, so no fault disappears.
 */
import { create, toBinary } from '@bufbuild/protobuf';
import { anyPack } from '@bufbuild/protobuf/wkt';
import * as grpc from '@grpc/grpc-js';
import { Code, ProofMessengerError, Reason } from '@proof-messenger/errors';
import {
  type ErrorDetail,
  ErrorDetailSchema,
  type ErrorReason,
  type Status,
  StatusSchema,
} from '@proof-messenger/proto';
import { decodeStatus, STATUS_DETAILS_KEY } from './status-decoder.ts';

export { STATUS_DETAILS_KEY };

/** The only message a client ever sees for an internal fault. */
export const INTERNAL_MESSAGE = 'internal error; see server logs';

/** The structured logger the mapper reports to (pino-compatible: fields first, then message). */
export interface ErrorLogger {
  error(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
}

/**
 * Maps any error to the status a grpc-js handler answers with (pass it to a unary callback, or
 * emit it as `error` on a server stream). `fields` are added to the log entry (e.g. the method).
 * Never throws: if mapping itself fails, the answer is a bare INTERNAL.
 */
export function toServiceError(
  err: unknown,
  log: ErrorLogger,
  fields: Record<string, unknown> = {},
): grpc.StatusObject {
  const status = toStatus(err, log, fields);
  const metadata = new grpc.Metadata();
  try {
    if (status.details.length > 0) {
      metadata.set(STATUS_DETAILS_KEY, Buffer.from(toBinary(StatusSchema, status)));
    }
  } catch {
    return { code: Code.INTERNAL, details: INTERNAL_MESSAGE, metadata: new grpc.Metadata() };
  }
  return { code: status.code, details: status.message, metadata };
}

/**
 * Maps any error to the google.rpc.Status it stands for, with the same rules as `toServiceError`
 * (which sends this very message in its trailer): for a status carried inside a response, such as
 * one item of a batch. Never throws.
 */
export function toStatus(
  err: unknown,
  log: ErrorLogger,
  fields: Record<string, unknown> = {},
): Status {
  try {
    if (!isExposable(err)) {
      log.error({ ...fields, err }, 'request failed with an internal error');
      return statusMessage(Code.INTERNAL, INTERNAL_MESSAGE, { reason: Reason.INTERNAL });
    }
    if (err.cause !== undefined) {
      log.warn({ ...fields, err }, 'request failed; the cause was not sent to the client');
    }
    return statusMessage(err.code, err.message, {
      reason: err.reason,
      field: err.field,
      retryable: err.retryable,
      retryAfterMs: toInt64(err.retryAfterMs),
      metadata: { ...err.metadata },
    });
  } catch {
    return create(StatusSchema, { code: Code.INTERNAL, message: INTERNAL_MESSAGE });
  }
}

/**
 * Turns a status a client received (a grpc-js `ServiceError`) back into a ProofMessengerError
 * through the shared `decodeStatus` (see there for statuses without an ErrorDetail). The original
 * error is kept as `cause`.
 */
export function fromServiceError(
  e: Pick<grpc.ServiceError, 'code' | 'details' | 'metadata'>,
): ProofMessengerError {
  const details = e.metadata?.get(STATUS_DETAILS_KEY)[0];
  return decodeStatus(
    {
      code: e.code,
      message: e.details,
      details: details instanceof Uint8Array ? details : undefined,
    },
    e,
  );
}

// OK is excluded: a "successful" error would reach the client as success with no response.
function isExposable(err: unknown): err is ProofMessengerError {
  return err instanceof ProofMessengerError && err.code !== Code.INTERNAL && err.code !== Code.OK;
}

function statusMessage(
  code: Code,
  message: string,
  detail: Partial<Omit<ErrorDetail, '$typeName' | 'reason'>> & { reason: Reason },
): Status {
  // Reason mirrors ErrorReason number for number (status-mapper.test.ts checks it).
  const errorDetail = create(ErrorDetailSchema, {
    ...detail,
    reason: detail.reason as ErrorReason,
  });
  return create(StatusSchema, {
    code,
    message,
    details: [anyPack(ErrorDetailSchema, errorDetail)],
  });
}

function toInt64(ms: number): bigint {
  return Number.isFinite(ms) && ms > 0 ? BigInt(Math.round(ms)) : 0n;
}
