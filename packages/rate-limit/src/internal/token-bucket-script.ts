/**
 * The Redis side of the token bucket: one Lua script, so read-refill-spend-write is atomic across
 * every instance, timed by Redis's own `TIME` so instances need not agree on the clock. It mirrors
 * token-bucket.ts line for line. State is a hash {t: tokens, s: seconds, u: microseconds}; the
 * two time fields are TIME's own strings, so no precision is lost to Lua's doubles. A refused take
 * writes nothing (the refilled state is recomputed identically next time). The key expires when
 * the bucket would be full again, so idle subjects cost Redis nothing.
 *
 * Redis 7 replicates scripts by effects, which TIME needs before a write; on 3.2–4.x
 * `redis.replicate_commands()` asks for it (a no-op where it is the default).
 */
import { createHash } from 'node:crypto';

/** KEYS[1] bucket; ARGV rate per second, burst, cost. Returns {1, 0} or {0, retry_after_ms}. */
export const TOKEN_BUCKET_SCRIPT = `
if redis.replicate_commands then redis.replicate_commands() end
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local now = redis.call('TIME')
local state = redis.call('HMGET', KEYS[1], 't', 's', 'u')
local tokens = tonumber(state[1])
if tokens == nil then
  tokens = burst
else
  local elapsed = (tonumber(now[1]) - tonumber(state[2])) + (tonumber(now[2]) - tonumber(state[3])) / 1000000
  if elapsed > 0 then tokens = math.min(burst, tokens + elapsed * rate) end
end
if tokens + 1e-9 < cost then
  return {0, math.max(1, math.ceil((cost - tokens) * 1000 / rate - 1e-6))}
end
tokens = math.max(0, tokens - cost)
redis.call('HSET', KEYS[1], 't', string.format('%.17g', tokens), 's', now[1], 'u', now[2])
redis.call('PEXPIRE', KEYS[1], math.max(1, math.ceil((burst - tokens) * 1000 / rate)))
return {1, 0}
`;

/** SHA-1 of the script, as EVALSHA wants it. */
export const TOKEN_BUCKET_SHA = createHash('sha1').update(TOKEN_BUCKET_SCRIPT).digest('hex');
