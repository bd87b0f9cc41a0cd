/**
 * RedisRateLimiter against the real Redis: one bucket shared by two instances on two
 * connections, refill on Redis's clock, keys that expire when the bucket is full again, recovery
 * from NOSCRIPT, audit throttling, and each unavailable policy with Redis taken away through a
 * proxy (connections cut and refused; or a hung server). Needs Redis: skipped with a message
 * outside CI when it is unreachable, started or failed in CI.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Code, RateLimitedError, UnavailableError } from '@proof-messenger/errors';
import { openRedis, type RedisClient } from '@proof-messenger/storage';
import { redisUrl, requireServices } from '@proof-messenger/storage/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createRateLimiter,
  type RateLimit,
  type RateLimiter,
  RedisRateLimiter,
  type RedisRateLimiterOptions,
} from '../src/index.ts';
import { TOKEN_BUCKET_SHA } from '../src/internal/token-bucket-script.ts';
import { recordingAudit } from './recording-audit.ts';
import { type RedisProxy, startRedisProxy } from './redis-proxy.ts';

const services = await requireServices(['redis']);
if (!services.available) console.warn(`skipping Redis rate limiter tests: ${services.reason}`);

const prefix = `pm:test:rate:${randomUUID()}:`;

async function refusal(rl: RateLimiter, subject: string, action = 'send', cost?: number) {
  const error = await rl.take(subject, action, cost).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(RateLimitedError);
  return error as RateLimitedError;
}

async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(20);
  }
}

describe.skipIf(!services.available)('RedisRateLimiter', () => {
  let a: RedisClient;
  let b: RedisClient;
  const opened: RedisClient[] = [];

  const limiter = (
    redis: RedisClient,
    limit: RateLimit,
    options: RedisRateLimiterOptions = {},
  ): RedisRateLimiter =>
    new RedisRateLimiter(redis, new Map([['send', limit]]), { keyPrefix: prefix, ...options });

  beforeAll(async () => {
    a = await openRedis(redisUrl());
    b = await openRedis(redisUrl());
    opened.push(a, b);
  });

  afterAll(async () => {
    const keys = await a.keys(`${prefix}*`);
    if (keys.length > 0) await a.del(...keys);
    for (const client of opened) client.disconnect();
  });

  it('shares one bucket between two instances on two connections', async () => {
    const limit = { ratePerSecond: 1, burst: 10 };
    const first = limiter(a, limit);
    const second = limiter(b, limit);
    for (let i = 0; i < 6; i++) await first.take('alice', 'send');
    for (let i = 0; i < 4; i++) await second.take('alice', 'send');
    for (const rl of [first, second]) {
      const error = await refusal(rl, 'alice');
      expect(error.retryAfterMs).toBeGreaterThan(0);
      expect(error.retryAfterMs).toBeLessThanOrEqual(1000);
      expect(error.message).toBe(
        `agent alice exceeded the send limit (1/s, burst 10); retry after ${error.retryAfterMs} ms`,
      );
      expect(error.metadata.action).toBe('send');
    }
    await first.take('bob', 'send');
    expect(first.stats()).toMatchObject({ allowed: 7, refused: 1, unavailable: 0 });
    expect(second.stats()).toMatchObject({ allowed: 4, refused: 1, unavailable: 0 });
  });

  it('refills on Redis time: waiting the advertised retry-after lets the other instance pass', async () => {
    const limit = { ratePerSecond: 20, burst: 2 };
    const first = limiter(a, limit);
    const second = limiter(b, limit);
    await first.take('carol', 'send', 2);
    const { retryAfterMs } = await refusal(second, 'carol');
    expect(retryAfterMs).toBeGreaterThan(0);
    expect(retryAfterMs).toBeLessThanOrEqual(50);
    await sleep(retryAfterMs);
    await second.take('carol', 'send');
    await refusal(first, 'carol');
  });

  it('answers a cost above one with the time until that many tokens are there', async () => {
    const rl = limiter(a, { ratePerSecond: 10, burst: 20 });
    await rl.take('dave', 'send', 20);
    const { retryAfterMs } = await refusal(rl, 'dave', 'send', 10);
    expect(retryAfterMs).toBeGreaterThan(900);
    expect(retryAfterMs).toBeLessThanOrEqual(1000);
    const tooBig = await refusal(rl, 'dave', 'send', 21);
    expect(tooBig.retryable).toBe(false);
  });

  it('keeps a bucket under <prefix><action>:<subject> that expires once it is full again', async () => {
    const rl = limiter(a, { ratePerSecond: 20, burst: 2 });
    await rl.take('erin', 'send');
    const key = rl.keyOf('erin', 'send');
    expect(key).toBe(`${prefix}send:erin`);
    expect(Object.keys(await a.hgetall(key)).sort()).toEqual(['s', 't', 'u']);
    const ttl = await a.pttl(key);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(50);
    await sleep(100);
    expect(await a.exists(key)).toBe(0);
  });

  it('recovers from NOSCRIPT after SCRIPT FLUSH, with the bucket intact', async () => {
    const rl = limiter(a, { ratePerSecond: 1, burst: 3 });
    await rl.take('frank', 'send', 2);
    await b.script('FLUSH');
    expect(await a.script('EXISTS', TOKEN_BUCKET_SHA)).toEqual([0]);
    await rl.take('frank', 'send');
    expect(await a.script('EXISTS', TOKEN_BUCKET_SHA)).toEqual([1]);
    await refusal(rl, 'frank');
  });

  it('passes on errors that are not unavailability (a key of the wrong type)', async () => {
    const rl = limiter(a, { ratePerSecond: 1, burst: 3 });
    await a.set(rl.keyOf('grace', 'send'), 'not a hash', 'PX', 10_000);
    await expect(rl.take('grace', 'send')).rejects.toThrow(/WRONGTYPE/);
    expect(rl.stats().unavailable).toBe(0);
  });

  it('audits refusals at most once per second per subject and action', async () => {
    const audit = recordingAudit();
    const rl = limiter(a, { ratePerSecond: 1, burst: 1 }, { audit });
    await rl.take('heidi', 'send');
    for (let i = 0; i < 20; i++) await refusal(rl, 'heidi');
    expect(audit.events).toHaveLength(1);
    expect(audit.events[0]).toMatchObject({
      actor: 'heidi',
      action: 'rate_limit.refused',
      target: 'send',
      outcome: 'denied',
      reason: 'rate limit',
      details: { limit: '1/s', burst: '1', refusals: '1' },
    });
    expect(Number(audit.events[0]?.details?.retryAfterMs)).toBeGreaterThan(0);
    expect(rl.stats()).toMatchObject({ refused: 20, audited: 1, auditSuppressed: 19 });
  });

  it('createRateLimiter builds the Redis limiter when given a client', async () => {
    const rl = createRateLimiter(
      { limits: new Map([['send', { ratePerSecond: 1, burst: 1 }]]), onUnavailable: 'deny' },
      { redis: a, keyPrefix: prefix },
    );
    expect(rl).toBeInstanceOf(RedisRateLimiter);
    await rl.take('ivan', 'send');
    await refusal(rl, 'ivan');
    expect(await a.exists(`${prefix}send:ivan`)).toBe(1);
  });

  describe('when Redis is unavailable', () => {
    let proxy: RedisProxy;
    let client: RedisClient;

    beforeAll(async () => {
      proxy = await startRedisProxy(redisUrl());
      client = await openRedis(proxy.url, { commandTimeoutMs: 300 });
      opened.push(client);
    });
    afterAll(() => proxy.close());

    async function cut(): Promise<void> {
      await proxy.close();
      await until(() => client.status !== 'ready');
    }

    async function restore(): Promise<void> {
      await proxy.open();
      await until(() => client.status === 'ready');
    }

    it('local (default): enforces the limit per instance, reports the outage once, then goes back to Redis', async () => {
      const outages: UnavailableError[] = [];
      const rl = limiter(
        client,
        { ratePerSecond: 1, burst: 2 },
        { retryRedisAfterMs: 0, onRedisError: (err) => outages.push(err) },
      );
      await cut();
      await rl.take('judy', 'send');
      await rl.take('judy', 'send');
      const error = await refusal(rl, 'judy');
      expect(error.retryAfterMs).toBe(1000);
      expect(outages).toHaveLength(1);
      expect(outages[0]).toBeInstanceOf(UnavailableError);
      expect(rl.stats()).toMatchObject({ allowed: 2, refused: 1, unavailable: 3 });
      expect(await a.exists(rl.keyOf('judy', 'send'))).toBe(0);

      await restore();
      await rl.take('judy', 'send');
      expect(await a.exists(rl.keyOf('judy', 'send'))).toBe(1);
      expect(rl.stats().unavailable).toBe(3);
    });

    it('deny: refuses with UNAVAILABLE', async () => {
      const rl = limiter(client, { ratePerSecond: 1, burst: 2 }, { onUnavailable: 'deny' });
      await cut();
      const error = await rl.take('ken', 'send').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UnavailableError);
      expect((error as UnavailableError).code).toBe(Code.UNAVAILABLE);
      expect((error as UnavailableError).message).toBe(
        'the rate limiter is unavailable; retry later',
      );
      expect((error as UnavailableError).retryAfterMs).toBe(1000);
      await rl.take('ken', 'subscribe'); // not limited: needs no Redis
      await restore();
    });

    it('allow: lets every request through', async () => {
      const rl = limiter(client, { ratePerSecond: 1, burst: 2 }, { onUnavailable: 'allow' });
      await cut();
      for (let i = 0; i < 10; i++) await rl.take('leo', 'send');
      expect(rl.stats()).toMatchObject({ allowed: 10, refused: 0, unavailable: 10 });
      await restore();
    });

    it('a hung server costs one command timeout, then Redis is skipped for retryRedisAfterMs', async () => {
      const outages: UnavailableError[] = [];
      const rl = limiter(
        client,
        { ratePerSecond: 1, burst: 2 },
        { retryRedisAfterMs: 60_000, onRedisError: (err) => outages.push(err) },
      );
      await rl.take('mallory', 'send');
      proxy.freeze();
      let started = performance.now();
      await rl.take('mallory', 'send');
      expect(performance.now() - started).toBeGreaterThanOrEqual(250);
      expect(outages).toHaveLength(1);
      expect(outages[0]?.cause).toMatchObject({
        message: expect.stringMatching(/Command timed out/),
      });
      started = performance.now();
      await rl.take('mallory', 'send');
      expect(performance.now() - started).toBeLessThan(50);
      await refusal(rl, 'mallory');
      expect(rl.stats()).toMatchObject({ allowed: 3, refused: 1, unavailable: 3 });
    });
  });
});
