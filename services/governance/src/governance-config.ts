/**
 * The governance settings every service reads: where the audit log and the policies live, the
 * audit key, the policy engine's behaviour and the rate limits.
 *
 * | variable | default | meaning |
 * | --- | --- | --- |
 * | DATABASE_URL / PM_DATABASE_SCHEMA | unset | distributed: audit log and policies in PostgreSQL |
 * | REDIS_URL | unset | distributed: shared rate limits and instant policy invalidation |
 * | PM_REDIS_KEY_PREFIX | `pm:` | prefix of the rate-limit keys and the policy-change channel (several deployments on one Redis) |
 * | PM_AUDIT_KEY_FILE | `<data>/audit-key.json` embedded; unset distributed | the audit signing key; instances without it append but do not sign checkpoints |
 * | PM_AUDIT_CHECKPOINT_INTERVAL_MS | 10000 | how often a checkpoint is signed (when the log grew) |
 * | PM_AUDIT_FLUSH_INTERVAL_MS | 20 | how long audit events wait to be written as one batch |
 * | PM_POLICY_POLL_INTERVAL_MS | 1000 | bound on how long an instance decides with a replaced policy (without Redis) |
 * | PM_POLICY_DECISION_TIMEOUT_MS | 250 | a slower decision denies |
 * | PM_POLICY_CACHE_SIZE | 10000 | cached decisions per instance (0 disables the cache) |
 * | PM_POLICY_FAIL_OPEN | false | `true`: an engine failure allows instead of denying (audited) |
 * | PM_RATE_LIMITS, PM_RATE_LIMITS_ON_UNAVAILABLE | see docs/rate-limits.md | per agent and action |
 */
import { join } from 'node:path';
import { AUDIT_KEY_FILE_NAME } from '@proof-messenger/audit-log';
import { InvalidArgumentError } from '@proof-messenger/errors';
import { type RateLimitConfig, rateLimitConfigFromEnv } from '@proof-messenger/rate-limit';
import { envInteger } from '@proof-messenger/rpc';

export interface GovernanceConfig {
  readonly dataDir: string;
  readonly databaseUrl: string | undefined;
  readonly databaseSchema: string | undefined;
  readonly redisUrl: string | undefined;
  readonly redisKeyPrefix: string;
  /** Where the audit key is; undefined: this instance appends but never signs checkpoints. */
  readonly auditKeyFile: string | undefined;
  /** Embedded: create the key file on first start. Distributed: it must exist. */
  readonly createAuditKey: boolean;
  readonly checkpointIntervalMs: number;
  readonly auditFlushIntervalMs: number;
  readonly policyPollIntervalMs: number;
  readonly decisionTimeoutMs: number;
  readonly decisionCacheSize: number;
  readonly failOpen: boolean;
  readonly rateLimits: RateLimitConfig;
}

type Env = Readonly<Record<string, string | undefined>>;

function flag(env: Env, name: string): boolean {
  const value = (env[name] ?? '').trim().toLowerCase();
  if (value === '' || value === 'false' || value === '0') return false;
  if (value === 'true' || value === '1') return true;
  throw new InvalidArgumentError(`${name} must be true or false, got "${env[name]}"`);
}

/**
 * Reads the governance settings; `dataDir` is the service's data folder (embedded storage).
 * @throws InvalidArgumentError naming the variable that is malformed
 */
export function loadGovernanceConfig(env: Env, dataDir: string): GovernanceConfig {
  const databaseUrl = env.DATABASE_URL || undefined;
  return {
    dataDir,
    databaseUrl,
    databaseSchema: env.PM_DATABASE_SCHEMA || undefined,
    redisUrl: env.REDIS_URL || undefined,
    redisKeyPrefix: env.PM_REDIS_KEY_PREFIX ?? 'pm:',
    auditKeyFile:
      env.PM_AUDIT_KEY_FILE ||
      (databaseUrl === undefined ? join(dataDir, AUDIT_KEY_FILE_NAME) : undefined),
    createAuditKey: databaseUrl === undefined && !env.PM_AUDIT_KEY_FILE,
    checkpointIntervalMs: envInteger(
      env,
      'PM_AUDIT_CHECKPOINT_INTERVAL_MS',
      10_000,
      100,
      86_400_000,
    ),
    auditFlushIntervalMs: envInteger(env, 'PM_AUDIT_FLUSH_INTERVAL_MS', 20, 1, 10_000),
    policyPollIntervalMs: envInteger(env, 'PM_POLICY_POLL_INTERVAL_MS', 1000, 50, 600_000),
    decisionTimeoutMs: envInteger(env, 'PM_POLICY_DECISION_TIMEOUT_MS', 250, 1, 10_000),
    decisionCacheSize: envInteger(env, 'PM_POLICY_CACHE_SIZE', 10_000, 0, 10_000_000),
    failOpen: flag(env, 'PM_POLICY_FAIL_OPEN'),
    rateLimits: rateLimitConfigFromEnv(env),
  };
}
