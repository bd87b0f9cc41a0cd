export type { RateLimiterDependencies } from './create-rate-limiter.ts';
export { createRateLimiter } from './create-rate-limiter.ts';
export type { MemoryRateLimiterOptions } from './memory-rate-limiter.ts';
export { MemoryRateLimiter } from './memory-rate-limiter.ts';
export type {
  RateLimit,
  RateLimitConfig,
  RateLimitedAction,
  UnavailablePolicy,
} from './rate-limit-config.ts';
export {
  DEFAULT_RATE_LIMITS,
  parseRateLimits,
  RATE_LIMITED_ACTIONS,
  rateLimitConfigFromEnv,
} from './rate-limit-config.ts';
export type { RateLimiter, RateLimiterStats } from './rate-limiter.ts';
export type { RedisRateLimiterOptions } from './redis-rate-limiter.ts';
export { RedisRateLimiter } from './redis-rate-limiter.ts';
