/**
 * `take` latency of the memory and the Redis limiter, one call at a time, for subjects that stay
 * under their limit (the path every request pays). Prints one JSON line. Redis from REDIS_URL
 * (default redis://127.0.0.1:6379); keys go under a fresh prefix and expire on their own.
 *
 * Usage: pnpm bench:rate-limit [--takes 20000] [--subjects 1000]
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { openRedis } from '@proof-messenger/storage';
import { MemoryRateLimiter, type RateLimiter, RedisRateLimiter } from '../src/index.ts';

const { values } = parseArgs({
  options: {
    takes: { type: 'string', default: '20000' },
    subjects: { type: 'string', default: '1000' },
  },
});
const takes = Number(values.takes);
const subjects = Number(values.subjects);
const limits = new Map([['send', { ratePerSecond: 1_000_000, burst: 1_000_000 }]]);

function percentiles(samples: number[]) {
  const sorted = [...samples].sort((x, y) => x - y);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  const round = (x: number) => Number((x * 1000).toFixed(1));
  return { p50_us: round(at(0.5)), p99_us: round(at(0.99)), n: sorted.length };
}

async function measure(rl: RateLimiter) {
  for (let i = 0; i < 1000; i++) await rl.take(`warm-${i % subjects}`, 'send');
  const samples: number[] = [];
  for (let i = 0; i < takes; i++) {
    const started = performance.now();
    await rl.take(`agent-${i % subjects}`, 'send');
    samples.push(performance.now() - started);
  }
  return percentiles(samples);
}

const memory = await measure(new MemoryRateLimiter(limits));
const redis = await openRedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
try {
  const shared = await measure(
    new RedisRateLimiter(redis, limits, { keyPrefix: `pm:bench:rate:${randomUUID()}:` }),
  );
  console.log(
    JSON.stringify({
      bench: 'rate-limit-take',
      node: process.version,
      takes,
      subjects,
      memory,
      redis: shared,
    }),
  );
} finally {
  redis.disconnect();
}
