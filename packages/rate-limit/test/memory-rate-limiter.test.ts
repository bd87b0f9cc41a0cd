/**
 * The token bucket on a fake clock: burst, refill, costs above one, the exact retry-after, the
 * refusal error as the client will see it, bounded memory, and the audit throttle (one entry per
 * subject+action per second, carrying how many refusals it stands for).
 */
import { Code, RateLimitedError, Reason } from '@proof-messenger/errors';
import { describe, expect, it } from 'vitest';
import {
  createRateLimiter,
  DEFAULT_RATE_LIMITS,
  MemoryRateLimiter,
  type RateLimit,
  type RateLimiter,
} from '../src/index.ts';
import { recordingAudit } from './recording-audit.ts';

function fakeClock(start = 1000) {
  let now = start;
  return {
    now: () => now,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

function limiter(limits: Record<string, RateLimit>, clock = fakeClock()) {
  const audit = recordingAudit();
  const rl = new MemoryRateLimiter(new Map(Object.entries(limits)), { clock: clock.now, audit });
  return { rl, clock, audit };
}

async function refusal(rl: RateLimiter, subject: string, action: string, cost?: number) {
  const error = await rl.take(subject, action, cost).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(RateLimitedError);
  return error as RateLimitedError;
}

async function takeTimes(rl: RateLimiter, n: number, subject = 'alice', action = 'send') {
  for (let i = 0; i < n; i++) await rl.take(subject, action);
}

describe('MemoryRateLimiter', () => {
  it('allows the burst at once, then refuses with the exact retry-after and a full error', async () => {
    const { rl } = limiter({ send: { ratePerSecond: 100, burst: 200 } });
    await takeTimes(rl, 200);
    const error = await refusal(rl, 'alice', 'send');
    expect(error.message).toBe(
      'agent alice exceeded the send limit (100/s, burst 200); retry after 10 ms',
    );
    expect(error.code).toBe(Code.RESOURCE_EXHAUSTED);
    expect(error.reason).toBe(Reason.RATE_LIMITED);
    expect(error.retryable).toBe(true);
    expect(error.retryAfterMs).toBe(10);
    expect(error.metadata).toEqual({
      action: 'send',
      limit: '100/s',
      ratePerSecond: '100',
      burst: '200',
    });
  });

  it('passes exactly when the advertised retry-after has passed', async () => {
    const { rl, clock } = limiter({ send: { ratePerSecond: 100, burst: 200 } });
    await takeTimes(rl, 200);
    clock.advance(4);
    expect((await refusal(rl, 'alice', 'send')).retryAfterMs).toBe(6);
    clock.advance(5);
    expect((await refusal(rl, 'alice', 'send')).retryAfterMs).toBe(1);
    clock.advance(1);
    await rl.take('alice', 'send');
    expect((await refusal(rl, 'alice', 'send')).retryAfterMs).toBe(10);
  });

  it('refills at the rate and never above the burst', async () => {
    const { rl, clock } = limiter({ send: { ratePerSecond: 100, burst: 200 } });
    await takeTimes(rl, 200);
    clock.advance(1000);
    await takeTimes(rl, 100);
    await refusal(rl, 'alice', 'send');
    clock.advance(60_000);
    await takeTimes(rl, 200);
    expect((await refusal(rl, 'alice', 'send')).retryAfterMs).toBe(10);
  });

  it('spends `cost` tokens and says when that many will be there', async () => {
    const { rl, clock } = limiter({ send: { ratePerSecond: 10, burst: 20 } });
    await rl.take('alice', 'send', 15);
    const error = await refusal(rl, 'alice', 'send', 10);
    expect(error.retryAfterMs).toBe(500);
    clock.advance(499);
    expect((await refusal(rl, 'alice', 'send', 10)).retryAfterMs).toBe(1);
    clock.advance(1);
    await rl.take('alice', 'send', 10);
    await refusal(rl, 'alice', 'send', 1);
  });

  it('refuses a cost above the burst for good: not retryable, names the most it accepts', async () => {
    const { rl } = limiter({ send: { ratePerSecond: 100, burst: 200 } });
    const error = await refusal(rl, 'alice', 'send', 256);
    expect(error.message).toBe(
      'agent alice: one send request costing 256 exceeds the burst of the send limit (100/s, burst 200); split it into requests costing at most 200',
    );
    expect(error.retryable).toBe(false);
    expect(error.retryAfterMs).toBe(0);
    expect(error.metadata.cost).toBe('256');
    await takeTimes(rl, 200);
  });

  it('handles rates below one per second and names prefixed subjects as they are', async () => {
    const { rl, clock } = limiter({ register: { ratePerSecond: 0.5, burst: 1 } });
    await rl.take('operator:bob', 'register');
    const error = await refusal(rl, 'operator:bob', 'register');
    expect(error.message).toBe(
      'operator:bob exceeded the register limit (30/m, burst 1); retry after 2000 ms',
    );
    clock.advance(2000);
    await rl.take('operator:bob', 'register');
  });

  it('keeps one bucket per subject and action; actions without a limit always pass', async () => {
    const { rl } = limiter({
      send: { ratePerSecond: 1, burst: 1 },
      publish: { ratePerSecond: 1, burst: 1 },
    });
    await rl.take('alice', 'send');
    await rl.take('bob', 'send');
    await rl.take('alice', 'publish');
    await refusal(rl, 'alice', 'send');
    for (let i = 0; i < 1000; i++) await rl.take('alice', 'subscribe');
    expect(rl.stats()).toEqual({
      allowed: 1003,
      refused: 1,
      refusedByAction: { send: 1 },
      audited: 1,
      auditSuppressed: 0,
      unavailable: 0,
    });
  });

  it('rejects bad arguments at the boundary', async () => {
    const { rl } = limiter({ send: { ratePerSecond: 1, burst: 1 } });
    for (const cost of [0, -1, 1.5, Number.NaN]) {
      await expect(rl.take('alice', 'send', cost)).rejects.toThrow(
        new RangeError(`rate limit cost must be a positive integer, got ${cost}`),
      );
    }
    await expect(rl.take('', 'send')).rejects.toThrow(TypeError);
    await expect(rl.take('alice', '')).rejects.toThrow(TypeError);
    expect(
      () => new MemoryRateLimiter(new Map([['send', { ratePerSecond: 0, burst: 1 }]])),
    ).toThrow('rate limit "send": ratePerSecond must be > 0, got 0');
    expect(
      () => new MemoryRateLimiter(new Map([['send', { ratePerSecond: 1, burst: 2.5 }]])),
    ).toThrow('rate limit "send": burst must be an integer from 1 to 1000000000, got 2.5');
  });

  it('drops idle buckets once they have refilled', async () => {
    const { rl, clock } = limiter({ send: { ratePerSecond: 100, burst: 200 } });
    for (let i = 0; i < 10; i++) await rl.take(`agent-${i}`, 'send');
    expect(rl.size).toBe(10);
    clock.advance(20);
    for (let i = 0; i < 5; i++) await rl.take('zed', 'send');
    expect(rl.size).toBe(1);
  });

  it('never holds more than maxBuckets', async () => {
    const clock = fakeClock();
    const rl = new MemoryRateLimiter(new Map([['send', { ratePerSecond: 1, burst: 1 }]]), {
      clock: clock.now,
      maxBuckets: 3,
    });
    for (let i = 0; i < 50; i++) await rl.take(`agent-${i}`, 'send');
    expect(rl.size).toBe(3);
    await refusal(rl, 'agent-49', 'send');
  });

  it('audits a refusal at most once per second per subject and action, with the count', async () => {
    const { rl, clock, audit } = limiter({ send: { ratePerSecond: 1, burst: 1 } });
    await rl.take('alice', 'send');
    for (let i = 0; i < 50; i++) {
      await refusal(rl, 'alice', 'send');
      clock.advance(10);
    }
    expect(audit.events).toEqual([
      {
        actor: 'alice',
        action: 'rate_limit.refused',
        target: 'send',
        outcome: 'denied',
        reason: 'rate limit',
        details: { limit: '1/s', burst: '1', retryAfterMs: '1000', refusals: '1' },
      },
    ]);
    await rl.take('bob', 'send');
    await refusal(rl, 'bob', 'send');
    expect(audit.events.map((e) => e.actor)).toEqual(['alice', 'bob']);
    clock.advance(500); // alice's first entry is now 1000 ms old
    await rl.take('alice', 'send');
    await refusal(rl, 'alice', 'send');
    expect(audit.events[2]?.details).toEqual({
      limit: '1/s',
      burst: '1',
      retryAfterMs: '1000',
      refusals: '50',
    });
    expect(rl.stats()).toMatchObject({ refused: 52, audited: 3, auditSuppressed: 49 });
  });

  it('with the defaults never limits one agent sending 2,000 messages/s in batches of 256', async () => {
    const clock = fakeClock();
    const rl = new MemoryRateLimiter(DEFAULT_RATE_LIMITS, { clock: clock.now });
    // 2,000 msgs/s = one batch of 256 every 128 ms, for a minute; plus a subscribe and a
    // prekey fetch per batch.
    for (let t = 0; t < 60_000; t += 128) {
      await rl.take('alice', 'send', 256);
      await rl.take('alice', 'publish', 256);
      await rl.take('alice', 'fetch_prekey');
      clock.advance(128);
    }
    expect(rl.stats().refused).toBe(0);
  });

  it('createRateLimiter builds the memory limiter without Redis', async () => {
    const rl = createRateLimiter({
      limits: new Map([['send', { ratePerSecond: 1, burst: 1 }]]),
      onUnavailable: 'local',
    });
    expect(rl).toBeInstanceOf(MemoryRateLimiter);
    await rl.take('alice', 'send');
    await refusal(rl, 'alice', 'send');
  });
});
