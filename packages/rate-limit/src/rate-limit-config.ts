/**
 * The rate limits per action, as typed configuration, and their one textual form: the
 * `PM_RATE_LIMITS` environment variable. Each limit is a token bucket (`ratePerSecond` tokens
 * added per second, at most `burst` held); one request of an action costs one token unless the
 * caller says otherwise (SendMessages costs one per envelope).
 *
 * Grammar of `PM_RATE_LIMITS` (whitespace around entries is ignored; unset or empty = defaults):
 *
 * ```text
 * value  = "off" | entry *( "," entry )
 * entry  = action "=" limit            ; each action at most once; others keep their default
 * limit  = "off" | "0" | rate "/" unit [ ":" burst ]
 * rate   = decimal > 0                 ; e.g. 100, 2.5
 * unit   = "s" | "m" | "h"             ; per second, minute, hour
 * burst  = integer >= 1                ; default: one unit's worth, ceil(rate), at least 1
 * ```
 *
 * Example: `send=100/s:200,publish=50/s:100,register=30/m`. `off` or `0` for an action removes
 * its limit; `PM_RATE_LIMITS=off` removes all. An action outside RATE_LIMITED_ACTIONS is refused
 * (a misspelt name would otherwise be a limit that silently never applies).
 *
 * The defaults are ceilings against runaway clients, not traffic shaping: each is at least twice
 * what one agent reaches in the benchmarks on the reference machine (docs/rate-limits.md has the
 * reasoning per action), so tests and benchmarks are never limited.
 */
import { InvalidArgumentError } from '@proof-messenger/errors';

/** The actions the services limit, in the order the documentation lists them. */
export const RATE_LIMITED_ACTIONS = [
  'send',
  'publish',
  'subscribe',
  'manage_channel',
  'fetch_prekey',
  'register',
  'admin',
] as const;

/** One action the services limit. */
export type RateLimitedAction = (typeof RATE_LIMITED_ACTIONS)[number];

/** One token bucket: `ratePerSecond` tokens added per second, at most `burst` held. */
export interface RateLimit {
  /** Sustained rate, tokens per second; > 0 (fractions allowed: 0.5 = one every 2 s). */
  readonly ratePerSecond: number;
  /** Bucket size: the most a subject can spend at once after being idle; an integer >= 1. */
  readonly burst: number;
}

/**
 * What the distributed limiter does while Redis cannot be reached: `deny` refuses every limited
 * request with UNAVAILABLE, `allow` lets every request through unlimited, `local` (default)
 * enforces each limit per instance in memory until Redis answers again.
 */
export type UnavailablePolicy = 'deny' | 'allow' | 'local';

/** The typed configuration of a rate limiter. */
export interface RateLimitConfig {
  /** The limit per action; an action without an entry is not limited. */
  readonly limits: ReadonlyMap<string, RateLimit>;
  /** Distributed mode only: what to do while Redis is unavailable. */
  readonly onUnavailable: UnavailablePolicy;
}

/** The defaults per action (see the module comment and docs/rate-limits.md for why). */
export const DEFAULT_RATE_LIMITS: ReadonlyMap<RateLimitedAction, RateLimit> = new Map<
  RateLimitedAction,
  RateLimit
>([
  ['send', { ratePerSecond: 5000, burst: 10_000 }],
  ['publish', { ratePerSecond: 2000, burst: 4000 }],
  ['subscribe', { ratePerSecond: 100, burst: 200 }],
  ['manage_channel', { ratePerSecond: 100, burst: 200 }],
  ['fetch_prekey', { ratePerSecond: 1000, burst: 2000 }],
  ['register', { ratePerSecond: 100, burst: 1000 }],
  ['admin', { ratePerSecond: 50, burst: 100 }],
]);

const UNIT_SECONDS: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600 };
const LIMIT_PATTERN = /^(\d+(?:\.\d+)?)\/([smh])(?::(\d+))?$/;
const UNAVAILABLE_POLICIES: readonly UnavailablePolicy[] = ['deny', 'allow', 'local'];
/** Largest accepted burst: far above any sane limit, well inside exact double arithmetic. */
const MAX_BURST = 1_000_000_000;

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Parses the `PM_RATE_LIMITS` grammar (module comment) over `defaults`.
 * @throws InvalidArgumentError naming the bad entry and the expected form
 */
export function parseRateLimits(
  value: string | undefined,
  defaults: ReadonlyMap<string, RateLimit> = DEFAULT_RATE_LIMITS,
): ReadonlyMap<string, RateLimit> {
  const text = value?.trim() ?? '';
  if (text === '') return new Map(defaults);
  if (text === 'off') return new Map();
  const limits = new Map(defaults);
  const seen = new Set<string>();
  for (const raw of text.split(',')) {
    const entry = raw.trim();
    const eq = entry.indexOf('=');
    if (eq < 0) throw badEntry(entry, 'expected <action>=<rate>/<s|m|h>[:<burst>], 0 or off');
    const action = entry.slice(0, eq).trim();
    const limit = entry.slice(eq + 1).trim();
    if (!(RATE_LIMITED_ACTIONS as readonly string[]).includes(action)) {
      throw badEntry(
        entry,
        `unknown action "${action}"; one of ${RATE_LIMITED_ACTIONS.join(', ')}`,
      );
    }
    if (seen.has(action)) throw badEntry(entry, `"${action}" is given more than once`);
    seen.add(action);
    if (limit === 'off' || limit === '0') {
      limits.delete(action);
      continue;
    }
    limits.set(action, parseLimit(entry, limit));
  }
  return limits;
}

/**
 * Reads `PM_RATE_LIMITS` (grammar in the module comment) and `PM_RATE_LIMITS_ON_UNAVAILABLE`
 * (`deny`, `allow` or `local`, default `local`) from `env`.
 * @throws InvalidArgumentError naming the variable and the bad value
 */
export function rateLimitConfigFromEnv(env: Env = process.env): RateLimitConfig {
  const policy = env.PM_RATE_LIMITS_ON_UNAVAILABLE?.trim() || 'local';
  if (!(UNAVAILABLE_POLICIES as readonly string[]).includes(policy)) {
    throw new InvalidArgumentError(
      `PM_RATE_LIMITS_ON_UNAVAILABLE must be one of ${UNAVAILABLE_POLICIES.join(', ')}, got "${policy}"`,
    );
  }
  return {
    limits: parseRateLimits(env.PM_RATE_LIMITS),
    onUnavailable: policy as UnavailablePolicy,
  };
}

/**
 * Checks one limit given in code rather than parsed.
 * @throws RangeError when the rate is not a positive finite number or the burst not an integer
 *   from 1 to 1e9
 */
export function checkRateLimit(action: string, limit: RateLimit): void {
  if (!Number.isFinite(limit.ratePerSecond) || limit.ratePerSecond <= 0) {
    throw new RangeError(
      `rate limit "${action}": ratePerSecond must be > 0, got ${limit.ratePerSecond}`,
    );
  }
  if (!Number.isInteger(limit.burst) || limit.burst < 1 || limit.burst > MAX_BURST) {
    throw new RangeError(
      `rate limit "${action}": burst must be an integer from 1 to ${MAX_BURST}, got ${limit.burst}`,
    );
  }
}

/** `100/s`, `30/m`, `2/h`: the rate in the largest unit that keeps it at least 1. */
export function formatRate(ratePerSecond: number): string {
  const [amount, unit] =
    ratePerSecond >= 1
      ? [ratePerSecond, 's']
      : ratePerSecond * 60 >= 1
        ? [ratePerSecond * 60, 'm']
        : [ratePerSecond * 3600, 'h'];
  return `${Number(amount.toPrecision(6))}/${unit}`;
}

function parseLimit(entry: string, limit: string): RateLimit {
  const match = LIMIT_PATTERN.exec(limit);
  if (match === null) {
    throw badEntry(entry, 'expected <rate>/<s|m|h>[:<burst>] (e.g. 100/s:200), 0 or off');
  }
  const [, amountText = '', unit = 's', burstText] = match;
  const amount = Number(amountText);
  if (amount <= 0) throw badEntry(entry, 'the rate must be greater than 0 (use off to disable)');
  const burst = burstText === undefined ? Math.max(1, Math.ceil(amount)) : Number(burstText);
  if (burst < 1 || burst > MAX_BURST) {
    throw badEntry(entry, `the burst must be from 1 to ${MAX_BURST}`);
  }
  return { ratePerSecond: amount / (UNIT_SECONDS[unit] ?? 1), burst };
}

function badEntry(entry: string, why: string): InvalidArgumentError {
  return new InvalidArgumentError(`PM_RATE_LIMITS entry "${entry}" is invalid: ${why}`, {
    field: 'PM_RATE_LIMITS',
  });
}
