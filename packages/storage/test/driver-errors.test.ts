/**
 * Driver error mapping on synthetic errors shaped like each driver's (the driver tests check the
 * real ones): what becomes a retryable UnavailableError and what passes through unchanged.
 */
import { UnavailableError } from '@proof-messenger/errors';
import { describe, expect, it } from 'vitest';
import {
  isUniqueViolation,
  mapPostgresError,
  mapRedisError,
  mapSqliteError,
} from '../src/index.ts';

function withFields(message: string, fields: Record<string, unknown>, name = 'Error'): Error {
  const err = Object.assign(new Error(message), fields);
  err.name = name;
  return err;
}

function expectUnavailable(mapped: unknown, cause: unknown, message: string): void {
  expect(mapped).toBeInstanceOf(UnavailableError);
  expect((mapped as UnavailableError).message).toBe(message);
  expect((mapped as UnavailableError).retryable).toBe(true);
  expect((mapped as UnavailableError).cause).toBe(cause);
}

describe('isUniqueViolation', () => {
  it.each([
    [withFields('dup', { code: '23505' }), true],
    [withFields('dup', { code: 'ERR_SQLITE_ERROR', errcode: 2067 }), true],
    [withFields('dup', { code: 'ERR_SQLITE_ERROR', errcode: 1555 }), true],
    [withFields('fk', { code: 'ERR_SQLITE_ERROR', errcode: 787 }), false],
    [withFields('not null', { code: '23502' }), false],
    [withFields('other', { errcode: 2067 }), false],
    [new Error('23505'), false],
    ['23505', false],
    [null, false],
  ])('%#: %s → %s', (err, expected) => {
    expect(isUniqueViolation(err)).toBe(expected);
  });
});

describe('mapPostgresError', () => {
  const message = 'the database is unavailable; retry later';

  it.each([
    withFields('connect ECONNREFUSED 127.0.0.1:5432', { code: 'ECONNREFUSED' }),
    withFields('read ECONNRESET', { code: 'ECONNRESET' }),
    new AggregateError([withFields('refused', { code: 'ECONNREFUSED' })], 'all failed'),
    new Error('Connection terminated unexpectedly'),
    new Error('timeout exceeded when trying to connect'),
    withFields('terminating connection due to administrator command', { code: '57P01' }),
    withFields('the database system is starting up', { code: '57P03' }),
    withFields('too many clients', { code: '53300' }),
    withFields('connection failure', { code: '08006' }),
    withFields('could not serialize access', { code: '40001' }),
    withFields('deadlock detected', { code: '40P01' }),
  ])('%s → UnavailableError', (err) => {
    expectUnavailable(mapPostgresError(err), err, message);
  });

  it.each([
    withFields('duplicate key', { code: '23505' }),
    withFields('syntax error', { code: '42601' }),
    new Error('Connection terminated', { cause: 'but it has a code' }),
    new TypeError('bad'),
  ])('%s passes through', (err) => {
    if (err.message === 'Connection terminated') Object.assign(err, { code: '42601' });
    expect(mapPostgresError(err)).toBe(err);
  });

  it('leaves an UnavailableError as it is', () => {
    const err = new UnavailableError('already mapped');
    expect(mapPostgresError(err)).toBe(err);
  });
});

describe('mapSqliteError', () => {
  it('maps SQLITE_BUSY and SQLITE_LOCKED (and their extended codes) to UnavailableError', () => {
    for (const errcode of [5, 6, 261, 517]) {
      const err = withFields('database is locked', { code: 'ERR_SQLITE_ERROR', errcode });
      expectUnavailable(mapSqliteError(err), err, 'the database is busy; retry later');
    }
  });

  it('passes everything else through', () => {
    for (const err of [
      withFields('UNIQUE constraint failed', { code: 'ERR_SQLITE_ERROR', errcode: 2067 }),
      withFields('no such table', { code: 'ERR_SQLITE_ERROR', errcode: 1 }),
      new Error('plain'),
    ]) {
      expect(mapSqliteError(err)).toBe(err);
    }
  });
});

describe('mapRedisError', () => {
  const message = 'redis is unavailable; retry later';

  it.each([
    withFields('connect ECONNREFUSED 127.0.0.1:6379', { code: 'ECONNREFUSED' }),
    new Error('Connection is closed.'),
    new Error("Stream isn't writeable and enableOfflineQueue options is false"),
    new Error('Command timed out'),
    withFields('Reached the max retries per request limit', {}, 'MaxRetriesPerRequestError'),
    withFields('LOADING Redis is loading the dataset in memory', {}, 'ReplyError'),
    withFields('READONLY You can not write against a read only replica.', {}, 'ReplyError'),
    withFields('OOM command not allowed', {}, 'ReplyError'),
  ])('%s → UnavailableError', (err) => {
    expectUnavailable(mapRedisError(err), err, message);
  });

  it.each([
    withFields(
      'WRONGTYPE Operation against a key holding the wrong kind of value',
      {},
      'ReplyError',
    ),
    withFields('ERR syntax error', {}, 'ReplyError'),
    new TypeError('not a redis problem'),
  ])('%s passes through', (err) => {
    expect(mapRedisError(err)).toBe(err);
  });
});
