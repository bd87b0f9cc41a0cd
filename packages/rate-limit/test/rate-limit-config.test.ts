/**
 * PM_RATE_LIMITS parsing: the documented grammar, defaults and `off`, and one exact message per
 * kind of bad entry (each names the entry and the expected form).
 */
import { InvalidArgumentError } from '@proof-messenger/errors';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_RATE_LIMITS,
  parseRateLimits,
  RATE_LIMITED_ACTIONS,
  rateLimitConfigFromEnv,
} from '../src/index.ts';

describe('parseRateLimits', () => {
  it('gives the defaults, one per action, when unset or empty', () => {
    expect(parseRateLimits(undefined)).toEqual(DEFAULT_RATE_LIMITS);
    expect(parseRateLimits('  ')).toEqual(DEFAULT_RATE_LIMITS);
    expect([...DEFAULT_RATE_LIMITS.keys()]).toEqual([...RATE_LIMITED_ACTIONS]);
    expect(Object.fromEntries(DEFAULT_RATE_LIMITS)).toEqual({
      send: { ratePerSecond: 5000, burst: 10_000 },
      publish: { ratePerSecond: 2000, burst: 4000 },
      subscribe: { ratePerSecond: 100, burst: 200 },
      manage_channel: { ratePerSecond: 100, burst: 200 },
      fetch_prekey: { ratePerSecond: 1000, burst: 2000 },
      register: { ratePerSecond: 100, burst: 1000 },
      admin: { ratePerSecond: 50, burst: 100 },
    });
  });

  it('overrides the named actions and keeps the defaults of the others', () => {
    const limits = parseRateLimits(
      'send=100/s:200, publish=50/s:100,subscribe=5/s:20,fetch_prekey=20/s:40,register=30/m,admin=7.5/h:3',
    );
    expect(Object.fromEntries(limits)).toEqual({
      send: { ratePerSecond: 100, burst: 200 },
      publish: { ratePerSecond: 50, burst: 100 },
      subscribe: { ratePerSecond: 5, burst: 20 },
      manage_channel: { ratePerSecond: 100, burst: 200 },
      fetch_prekey: { ratePerSecond: 20, burst: 40 },
      register: { ratePerSecond: 0.5, burst: 30 },
      admin: { ratePerSecond: 7.5 / 3600, burst: 3 },
    });
  });

  it('defaults the burst to one unit of the rate, at least 1', () => {
    expect(parseRateLimits('send=100/s').get('send')).toEqual({ ratePerSecond: 100, burst: 100 });
    expect(parseRateLimits('send=2.5/s').get('send')).toEqual({ ratePerSecond: 2.5, burst: 3 });
    expect(parseRateLimits('send=0.2/s').get('send')).toEqual({ ratePerSecond: 0.2, burst: 1 });
  });

  it('removes a limit for off or 0, and every limit for PM_RATE_LIMITS=off', () => {
    const limits = parseRateLimits('send=off,admin=0');
    expect(limits.has('send')).toBe(false);
    expect(limits.has('admin')).toBe(false);
    expect(limits.get('publish')).toEqual(DEFAULT_RATE_LIMITS.get('publish'));
    expect(parseRateLimits('off').size).toBe(0);
    expect(parseRateLimits(' off ').size).toBe(0);
  });

  it.each([
    ['send', 'send', 'expected <action>=<rate>/<s|m|h>[:<burst>], 0 or off'],
    ['send=1/s,', '', 'expected <action>=<rate>/<s|m|h>[:<burst>], 0 or off'],
    [
      'sned=1/s',
      'sned=1/s',
      'unknown action "sned"; one of send, publish, subscribe, manage_channel, fetch_prekey, register, admin',
    ],
    ['send=100', 'send=100', 'expected <rate>/<s|m|h>[:<burst>] (e.g. 100/s:200), 0 or off'],
    [
      'send=100/d:5',
      'send=100/d:5',
      'expected <rate>/<s|m|h>[:<burst>] (e.g. 100/s:200), 0 or off',
    ],
    ['send=-1/s', 'send=-1/s', 'expected <rate>/<s|m|h>[:<burst>] (e.g. 100/s:200), 0 or off'],
    [
      'send=1/s:1.5',
      'send=1/s:1.5',
      'expected <rate>/<s|m|h>[:<burst>] (e.g. 100/s:200), 0 or off',
    ],
    ['send=0/s', 'send=0/s', 'the rate must be greater than 0 (use off to disable)'],
    ['send=1/s:0', 'send=1/s:0', 'the burst must be from 1 to 1000000000'],
    ['send=1/s:9999999999', 'send=1/s:9999999999', 'the burst must be from 1 to 1000000000'],
    ['send=1/s,send=2/s', 'send=2/s', '"send" is given more than once'],
  ])('refuses %j naming the entry', (value, entry, why) => {
    let error: unknown;
    try {
      parseRateLimits(value);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as InvalidArgumentError).message).toBe(
      `PM_RATE_LIMITS entry "${entry}" is invalid: ${why}`,
    );
    expect((error as InvalidArgumentError).field).toBe('PM_RATE_LIMITS');
  });
});

describe('rateLimitConfigFromEnv', () => {
  it('reads both variables, defaulting the unavailable policy to local', () => {
    expect(rateLimitConfigFromEnv({})).toEqual({
      limits: DEFAULT_RATE_LIMITS,
      onUnavailable: 'local',
    });
    const config = rateLimitConfigFromEnv({
      PM_RATE_LIMITS: 'off',
      PM_RATE_LIMITS_ON_UNAVAILABLE: 'deny',
    });
    expect(config.limits.size).toBe(0);
    expect(config.onUnavailable).toBe('deny');
  });

  it('refuses an unknown unavailable policy', () => {
    expect(() => rateLimitConfigFromEnv({ PM_RATE_LIMITS_ON_UNAVAILABLE: 'open' })).toThrow(
      new InvalidArgumentError(
        'PM_RATE_LIMITS_ON_UNAVAILABLE must be one of deny, allow, local, got "open"',
      ),
    );
  });
});
