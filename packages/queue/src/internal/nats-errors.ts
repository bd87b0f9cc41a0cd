/**
 * Maps NATS / JetStream client errors to the error model: anything meaning "the server cannot be
 * reached or did not answer" becomes a retryable UnavailableError (with the driver error as
 * cause); everything else passes through unchanged.
 */
import { JetStreamApiError } from '@nats-io/jetstream';
import { errors } from '@nats-io/transport-node';
import { UnavailableError } from '@proof-messenger/errors';

/** JetStream API error code for "no message found" (get / delete of a missing sequence). */
export const NO_MESSAGE_FOUND = 10037;
/** JetStream API error code for a failed `Nats-Expected-Last-Subject-Sequence`. */
export const WRONG_LAST_SEQUENCE = 10071;

/** The API error code of `err`, when it is a JetStream API error. */
export function apiErrorCode(err: unknown): number | undefined {
  return err instanceof JetStreamApiError ? err.code : undefined;
}

/** JetStream API error code of a missing consumer. */
export const CONSUMER_NOT_FOUND = 10014;

/** JetStream API error code of a missing stream. */
export const STREAM_NOT_FOUND = 10059;

/** A NATS error as thrown to callers: connection trouble → UnavailableError, else unchanged. */
export function mapNatsError(err: unknown): unknown {
  if (err instanceof UnavailableError) return err;
  const unavailable =
    err instanceof errors.TimeoutError ||
    err instanceof errors.ClosedConnectionError ||
    err instanceof errors.DrainingConnectionError ||
    err instanceof errors.NoRespondersError ||
    err instanceof errors.RequestError ||
    err instanceof errors.ConnectionError ||
    (err instanceof Error && err.name === 'JetStreamNotEnabled');
  if (!unavailable) return err;
  return new UnavailableError('the queue server is unavailable; retry later', { cause: err });
}
