/**
 * openRedis against the real server and an unreachable port, and the test-service helpers
 * themselves (names, environment overrides, the outside-CI answer for an unreachable service).
 */
import { UnavailableError } from '@proof-messenger/errors';
import { afterEach, describe, expect, it } from 'vitest';
import { openRedis } from '../src/index.ts';
import { postgresUrl, redisUrl, requireServices, uniqueSchemaName } from '../src/testing.ts';

const services = await requireServices(['redis']);
if (!services.available) console.warn(`skipping Redis client tests: ${services.reason}`);

describe.skipIf(!services.available)('openRedis', () => {
  it('is reported available by requireServices', async () => {
    expect(await requireServices(['redis'])).toEqual({ available: true, reason: '' });
  });

  it('resolves once the server answers', async () => {
    const redis = await openRedis(redisUrl());
    try {
      expect(redis.status).toBe('ready');
      expect(await redis.ping()).toBe('PONG');
    } finally {
      redis.disconnect();
    }
  });

  it('fails with UnavailableError when nothing listens', async () => {
    const error = await openRedis('redis://127.0.0.1:1', { connectTimeoutMs: 500 }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(UnavailableError);
    expect((error as UnavailableError).message).toBe('redis is unavailable; retry later');
  });
});

describe('test services', () => {
  const saved = { ...process.env };
  afterEach(() => {
    for (const name of ['CI', 'PM_TEST_DATABASE_URL', 'PM_TEST_REDIS_URL']) {
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
    }
  });

  it('uniqueSchemaName gives distinct valid identifiers of at most 63 chars', () => {
    const names = new Set(Array.from({ length: 50 }, () => uniqueSchemaName('Key-Mgmt')));
    expect(names.size).toBe(50);
    for (const name of names) {
      expect(name).toMatch(/^key_mgmt_[a-z0-9_]+$/);
      expect(name.length).toBeLessThanOrEqual(63);
    }
    expect(uniqueSchemaName('9'.repeat(80))).toMatch(/^t_9+_[a-z0-9_]+$/);
    expect(uniqueSchemaName('9'.repeat(80)).length).toBeLessThanOrEqual(63);
  });

  it('reads the URLs from the environment, with local defaults', () => {
    delete process.env.PM_TEST_DATABASE_URL;
    delete process.env.PM_TEST_REDIS_URL;
    expect(postgresUrl()).toBe('postgres://postgres@127.0.0.1:5432/test');
    expect(redisUrl()).toBe('redis://127.0.0.1:6379');
    process.env.PM_TEST_DATABASE_URL = 'postgres://u@db:1/x';
    process.env.PM_TEST_REDIS_URL = 'redis://cache:2';
    expect(postgresUrl()).toBe('postgres://u@db:1/x');
    expect(redisUrl()).toBe('redis://cache:2');
  });

  it('outside CI reports an unreachable service instead of throwing', async () => {
    delete process.env.CI;
    process.env.PM_TEST_REDIS_URL = 'redis://127.0.0.1:1';
    const result = await requireServices(['redis']);
    expect(result.available).toBe(false);
    expect(result.reason).toMatch(
      /^redis is unreachable at redis:\/\/127\.0\.0\.1:1 \(.*ECONNREFUSED.*\); start it or set PM_TEST_REDIS_URL$/,
    );
  });

  it('in CI tries to start an unreachable service, then fails the suite', async () => {
    process.env.CI = 'true';
    process.env.PM_TEST_REDIS_URL = 'redis://127.0.0.1:1';
    await expect(requireServices(['redis'], { startTimeoutMs: 1000 })).rejects.toThrow(
      /^CI needs redis is unreachable at redis:\/\/127\.0\.0\.1:1 \(.*ECONNREFUSED.*\); start it or set PM_TEST_REDIS_URL/,
    );
  });
});
