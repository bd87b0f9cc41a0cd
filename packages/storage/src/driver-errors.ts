/**
 * Maps the errors of the three drivers (pg, node:sqlite, ioredis) to the error model: anything
 * that means "the store cannot be reached or is busy right now" becomes a retryable
 * `UnavailableError` with the driver error as its `cause`; everything else is passed through
 * unchanged so callers can still recognise it (`isUniqueViolation`) and the status mapper turns
 * the rest into INTERNAL.
 */
import { UnavailableError } from '@proof-messenger/errors';

/** Socket-level failures shared by pg and ioredis. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

/**
 * SQLSTATEs after which the same request can succeed later: shutdown or start-up in progress,
 * too many connections, and the two concurrency aborts (serialization failure, deadlock).
 */
const RETRYABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300', '40001', '40P01']);

/** pg reports lost or refused connections as plain Errors with these messages. */
const PG_CONNECTION_MESSAGES =
  /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Client was closed|Cannot use a pool after calling end/i;

/** ioredis client-side failures: lost connection, offline queue off, retries or timeout used up. */
const REDIS_CONNECTION_MESSAGES =
  /Connection is closed|Stream isn't writeable|Command timed out|Reached the max retries per request/i;

/** Redis replies meaning "not now" rather than "wrong request". */
const RETRYABLE_REDIS_REPLIES = /^(LOADING|BUSY|TRYAGAIN|CLUSTERDOWN|MASTERDOWN|READONLY|OOM)\b/;

/** SQLite extended result codes of UNIQUE and PRIMARY KEY violations. */
const SQLITE_CONSTRAINT_UNIQUE = 2067;
const SQLITE_CONSTRAINT_PRIMARYKEY = 1555;
/** SQLITE_BUSY and SQLITE_LOCKED (primary codes; extended codes share the low byte). */
const SQLITE_BUSY = 5;
const SQLITE_LOCKED = 6;

function field(err: unknown, name: string): unknown {
  return typeof err === 'object' && err !== null ? Reflect.get(err, name) : undefined;
}

function isNetworkError(err: unknown): boolean {
  const code = field(err, 'code');
  if (typeof code === 'string' && NETWORK_CODES.has(code)) return true;
  // Node reports a refused dual-stack connect as an AggregateError of the per-address errors.
  return err instanceof AggregateError && err.errors.some(isNetworkError);
}

/**
 * True when `err` is a UNIQUE or PRIMARY KEY violation from PostgreSQL (SQLSTATE 23505) or
 * node:sqlite (SQLITE_CONSTRAINT_UNIQUE / SQLITE_CONSTRAINT_PRIMARYKEY).
 */
export function isUniqueViolation(err: unknown): boolean {
  const code = field(err, 'code');
  if (code === '23505') return true;
  if (code !== 'ERR_SQLITE_ERROR') return false;
  const errcode = field(err, 'errcode');
  return errcode === SQLITE_CONSTRAINT_UNIQUE || errcode === SQLITE_CONSTRAINT_PRIMARYKEY;
}

/** A pg error as thrown to callers: connection trouble → UnavailableError, else unchanged. */
export function mapPostgresError(err: unknown): unknown {
  if (err instanceof UnavailableError) return err;
  const code = field(err, 'code');
  const retryable =
    isNetworkError(err) ||
    (typeof code === 'string' && (code.startsWith('08') || RETRYABLE_SQLSTATES.has(code))) ||
    (err instanceof Error && code === undefined && PG_CONNECTION_MESSAGES.test(err.message));
  if (!retryable) return err;
  return new UnavailableError('the database is unavailable; retry later', { cause: err });
}

/** A node:sqlite error as thrown to callers: BUSY/LOCKED → UnavailableError, else unchanged. */
export function mapSqliteError(err: unknown): unknown {
  const errcode = field(err, 'errcode');
  if (typeof errcode !== 'number') return err;
  const primary = errcode & 0xff;
  if (primary !== SQLITE_BUSY && primary !== SQLITE_LOCKED) return err;
  return new UnavailableError('the database is busy; retry later', { cause: err });
}

/** An ioredis error as thrown to callers: connection trouble or a "not now" reply → Unavailable. */
export function mapRedisError(err: unknown): unknown {
  if (!(err instanceof Error) || err instanceof UnavailableError) return err;
  const retryable =
    isNetworkError(err) ||
    err.name === 'MaxRetriesPerRequestError' ||
    (err.name === 'ReplyError' ? RETRYABLE_REDIS_REPLIES : REDIS_CONNECTION_MESSAGES).test(
      err.message,
    );
  if (!retryable) return err;
  return new UnavailableError('redis is unavailable; retry later', { cause: err });
}
