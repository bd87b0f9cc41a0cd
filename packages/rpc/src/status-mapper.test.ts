import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { anyPack, anyUnpack } from '@bufbuild/protobuf/wkt';
import * as grpc from '@grpc/grpc-js';
import {
  Code,
  InternalError,
  InvalidArgumentError,
  ProofMessengerError,
  RateLimitedError,
  Reason,
  UnavailableError,
} from '@proof-messenger/errors';
import { ErrorDetailSchema, ErrorReason, StatusSchema } from '@proof-messenger/proto';
import { describe, expect, it } from 'vitest';
import { recordingLogger } from './_testing.ts';
import { fromStatus } from './status-decoder.ts';
import {
  fromServiceError,
  INTERNAL_MESSAGE,
  STATUS_DETAILS_KEY,
  toServiceError,
  toStatus,
} from './status-mapper.ts';

function decodeTrailer(metadata: grpc.Metadata) {
  const [value] = metadata.get(STATUS_DETAILS_KEY);
  if (!(value instanceof Uint8Array)) throw new Error('no status details trailer');
  const status = fromBinary(StatusSchema, value);
  const [packed] = status.details;
  if (packed === undefined || status.details.length !== 1) throw new Error('expected one detail');
  return { status, detail: anyUnpack(packed, ErrorDetailSchema) };
}

describe('Reason', () => {
  it('mirrors proofmessenger.v1.ErrorReason name for name and number for number', () => {
    const protoReasons = Object.entries(ErrorReason).filter(([, n]) => typeof n === 'number');
    expect(Object.fromEntries(protoReasons)).toEqual(Reason);
  });
});

describe('toServiceError', () => {
  it('sends a ProofMessengerError with its code, message and ErrorDetail', () => {
    const log = recordingLogger();
    const err = new InvalidArgumentError('envelope.header must not be empty', {
      field: 'envelope.header',
      metadata: { max_bytes: '4096' },
    });
    const status = toServiceError(err, log);
    expect(status.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(status.details).toBe('envelope.header must not be empty');
    const { status: rpcStatus, detail } = decodeTrailer(status.metadata);
    expect(rpcStatus.code).toBe(3);
    expect(rpcStatus.message).toBe('envelope.header must not be empty');
    expect(detail).toEqual(
      create(ErrorDetailSchema, {
        reason: ErrorReason.INVALID_ARGUMENT,
        field: 'envelope.header',
        retryable: false,
        retryAfterMs: 0n,
        metadata: { max_bytes: '4096' },
      }),
    );
    expect(log.entries).toEqual([]);
  });

  it('carries retry facts', () => {
    const status = toServiceError(
      new RateLimitedError('too many requests', { retryAfterMs: 1500 }),
      recordingLogger(),
    );
    expect(status.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    const { detail } = decodeTrailer(status.metadata);
    expect(detail?.reason).toBe(ErrorReason.RATE_LIMITED);
    expect(detail?.retryable).toBe(true);
    expect(detail?.retryAfterMs).toBe(1500n);
  });

  it('hides any other error behind a generic INTERNAL and logs it', () => {
    const log = recordingLogger();
    const err = new Error('connect ECONNREFUSED 10.0.0.5:5432 (password=hunter2)');
    const status = toServiceError(err, log, { method: 'X/Y' });
    expect(status.code).toBe(grpc.status.INTERNAL);
    expect(status.details).toBe(INTERNAL_MESSAGE);
    const { status: rpcStatus, detail } = decodeTrailer(status.metadata);
    expect(rpcStatus.message).toBe(INTERNAL_MESSAGE);
    expect(detail?.reason).toBe(ErrorReason.INTERNAL);
    expect(Buffer.from(toBinary(StatusSchema, rpcStatus)).toString('latin1')).not.toContain(
      'hunter2',
    );
    expect(log.entries).toEqual([
      {
        level: 'error',
        fields: { method: 'X/Y', err },
        message: 'request failed with an internal error',
      },
    ]);
  });

  it('hides the message of an InternalError and of a ProofMessengerError with code OK', () => {
    for (const err of [
      new InternalError('invariant broken in queue shard 7'),
      new ProofMessengerError(Code.OK, Reason.UNSPECIFIED, 'not an error'),
    ]) {
      const log = recordingLogger();
      const status = toServiceError(err, log);
      expect(status.code).toBe(grpc.status.INTERNAL);
      expect(status.details).toBe(INTERNAL_MESSAGE);
      expect(log.entries.map((entry) => entry.level)).toEqual(['error']);
    }
  });

  it('maps thrown non-errors to INTERNAL', () => {
    for (const thrown of ['a string', undefined, null, 42, { code: 3, message: 'fake' }]) {
      const status = toServiceError(thrown, recordingLogger());
      expect(status.code).toBe(grpc.status.INTERNAL);
      expect(status.details).toBe(INTERNAL_MESSAGE);
    }
  });

  it('logs the cause of an error it sends, as a warning, and does not send the cause', () => {
    const log = recordingLogger();
    const cause = new Error('redis: READONLY replica');
    const err = new UnavailableError('the queue is unavailable; retry', { cause });
    const status = toServiceError(err, log);
    expect(status.code).toBe(grpc.status.UNAVAILABLE);
    expect(status.details).toBe('the queue is unavailable; retry');
    expect(log.entries).toEqual([
      {
        level: 'warn',
        fields: { err },
        message: 'request failed; the cause was not sent to the client',
      },
    ]);
  });

  it('never throws, even when the logger does', () => {
    const log = {
      error: () => {
        throw new Error('logger down');
      },
      warn: () => {},
    };
    const status = toServiceError(new Error('x'), log);
    expect(status).toEqual({
      code: grpc.status.INTERNAL,
      details: INTERNAL_MESSAGE,
      metadata: new grpc.Metadata(),
    });
  });

  it('sends 0 for a retry delay that is not a finite positive number', () => {
    for (const retryAfterMs of [Number.NaN, Number.POSITIVE_INFINITY, -5]) {
      const status = toServiceError(new RateLimitedError('slow down', { retryAfterMs }), {
        error: () => {},
        warn: () => {},
      });
      expect(decodeTrailer(status.metadata).detail?.retryAfterMs).toBe(0n);
    }
  });
});

describe('fromServiceError', () => {
  function serviceError(status: grpc.StatusObject): grpc.ServiceError {
    return Object.assign(new Error(`${status.code} ${status.details}`), status);
  }

  it('inverts toServiceError', () => {
    const original = new RateLimitedError('too many requests', {
      field: 'agent_id',
      retryAfterMs: 250,
      metadata: { limit: '10/s' },
    });
    const e = serviceError(toServiceError(original, recordingLogger()));
    const err = fromServiceError(e);
    expect(err).toBeInstanceOf(ProofMessengerError);
    expect(err.code).toBe(Code.RESOURCE_EXHAUSTED);
    expect(err.reason).toBe(Reason.RATE_LIMITED);
    expect(err.message).toBe('too many requests');
    expect(err.field).toBe('agent_id');
    expect(err.retryable).toBe(true);
    expect(err.retryAfterMs).toBe(250);
    expect(err.metadata).toEqual({ limit: '10/s' });
    expect(err.cause).toBe(e);
  });

  it('gives UNSPECIFIED without a trailer, or with one that does not decode', () => {
    const garbled = new grpc.Metadata();
    garbled.set(STATUS_DETAILS_KEY, Buffer.from([0xff, 0xff]));
    for (const metadata of [new grpc.Metadata(), garbled]) {
      const err = fromServiceError({
        code: grpc.status.DEADLINE_EXCEEDED,
        details: 'late',
        metadata,
      });
      expect(err.code).toBe(Code.DEADLINE_EXCEEDED);
      expect(err.reason).toBe(Reason.UNSPECIFIED);
      expect(err.message).toBe('late');
      expect(err.retryable).toBe(false);
    }
  });

  it('maps unknown codes to UNKNOWN and unknown reasons to UNSPECIFIED', () => {
    const metadata = new grpc.Metadata();
    const status = create(StatusSchema, {
      code: 99,
      message: 'odd',
      details: [
        anyPack(ErrorDetailSchema, create(ErrorDetailSchema, { reason: 1234 as ErrorReason })),
      ],
    });
    metadata.set(STATUS_DETAILS_KEY, Buffer.from(toBinary(StatusSchema, status)));
    const err = fromServiceError({ code: 99 as grpc.status, details: 'odd', metadata });
    expect(err.code).toBe(Code.UNKNOWN);
    expect(err.reason).toBe(Reason.UNSPECIFIED);
  });
});

describe('toStatus', () => {
  it('is exactly the google.rpc.Status that toServiceError sends in its trailer', () => {
    const err = new RateLimitedError('too many requests', { retryAfterMs: 1500 });
    const trailer = decodeTrailer(toServiceError(err, recordingLogger()).metadata).status;
    expect(toBinary(StatusSchema, toStatus(err, recordingLogger()))).toEqual(
      toBinary(StatusSchema, trailer),
    );
  });

  it('never carries an internal message, and logs it', () => {
    const log = recordingLogger();
    const status = toStatus(new Error('pg: password authentication failed'), log, {
      method: 'SendMessages',
    });
    expect(status.code).toBe(Code.INTERNAL);
    expect(status.message).toBe(INTERNAL_MESSAGE);
    expect(log.entries.map((entry) => entry.level)).toEqual(['error']);
  });

  it('round-trips through fromStatus into the same typed error', () => {
    const err = new RateLimitedError('too many requests', { retryAfterMs: 1500 });
    const decoded = fromStatus(toStatus(err, recordingLogger()));
    expect(decoded.code).toBe(Code.RESOURCE_EXHAUSTED);
    expect(decoded.reason).toBe(Reason.RATE_LIMITED);
    expect(decoded.message).toBe('too many requests');
    expect(decoded.retryable).toBe(true);
    expect(decoded.retryAfterMs).toBe(1500);
  });
});
