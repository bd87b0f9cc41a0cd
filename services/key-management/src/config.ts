/**
 * Environment → typed configuration of the key-management service. Every setting has a safe
 * default for the embedded mode; distributed mode is chosen by setting DATABASE_URL (and
 * REDIS_URL). Invalid values fail at start-up with a message naming the variable.
 *
 * | variable | default | meaning |
 * | --- | --- | --- |
 * | PM_GRPC_HOST / PM_GRPC_PORT | 127.0.0.1 / 50051 | where the gRPC server listens (0 = any free port) |
 * | PM_DATA_DIR | ./.data | embedded mode: node:sqlite database and generated secrets |
 * | DATABASE_URL | (unset) | distributed mode: PostgreSQL connection string |
 * | PM_DATABASE_SCHEMA | (the role's default) | distributed: PostgreSQL schema to use (created if missing) |
 * | REDIS_URL | (unset) | distributed mode: Redis for the identity cache and nonces |
 * | PM_REDIS_KEY_PREFIX | `pm:` | distributed: prefix of every Redis key (several deployments on one Redis) |
 * | PM_AUTH_TOKEN_SECRET | generated into PM_DATA_DIR | base64 (≥32 bytes), shared by all services |
 * | PM_OPERATOR_CREDENTIALS | generated into PM_DATA_DIR | `name:sha256hex,…` |
 * | PM_OPEN_REGISTRATION | `loopback` embedded, `off` distributed | `loopback`: callers on 127.0.0.1/::1 may register without a credential (development only) |
 * | PM_SESSION_GRACE_SECONDS | 604800 (7 days) | how long a superseded session key stays accepted |
 * | PM_ACCESS_TOKEN_TTL_SECONDS | 600 | access token lifetime |
 * | PM_IDENTITY_CACHE_TTL_MS | 5000 | distributed: longest a revoked key can still be served from cache |
 * | PM_ROTATION_SCHEDULER_INTERVAL_MS | 30000 | how often the rotation scheduler runs (0 = off) |
 * | PM_MAX_REQUEST_BYTES | 1048576 | largest accepted request |
 *
 * Plus the governance settings (policy engine, rate limits, audit log) of
 * `loadGovernanceConfig` in @proof-messenger/governance, with PM_DATA_DIR as its data folder.
 */
import { InvalidArgumentError } from '@proof-messenger/errors';
import { type GovernanceConfig, loadGovernanceConfig } from '@proof-messenger/governance';
import { envInteger } from '@proof-messenger/rpc';

export interface KeyManagementConfig {
  readonly host: string;
  readonly port: number;
  readonly dataDir: string;
  readonly databaseUrl: string | undefined;
  readonly databaseSchema: string | undefined;
  readonly redisUrl: string | undefined;
  readonly redisKeyPrefix: string;
  readonly authTokenSecret: Uint8Array | undefined;
  readonly operatorCredentials: string | undefined;
  readonly openRegistration: 'loopback' | 'off';
  readonly sessionGraceMs: number;
  readonly accessTokenTtlMs: number;
  readonly identityCacheTtlMs: number;
  readonly schedulerIntervalMs: number;
  readonly maxRequestBytes: number;
  /** Accepted clock skew for signed statements (registration, authentication, rotation). */
  readonly statementWindowMs: number;
  /** Policy engine, rate limits and audit log, when this service opens its own governance. */
  readonly governance: GovernanceConfig;
}

type Env = Readonly<Record<string, string | undefined>>;

/** Reads the configuration from `env` (process.env by default). */
export function loadConfig(env: Env = process.env): KeyManagementConfig {
  const databaseUrl = env.DATABASE_URL || undefined;
  const openRegistration =
    env.PM_OPEN_REGISTRATION ?? (databaseUrl === undefined ? 'loopback' : 'off');
  if (openRegistration !== 'loopback' && openRegistration !== 'off') {
    throw new InvalidArgumentError(
      `PM_OPEN_REGISTRATION must be "loopback" or "off", got "${openRegistration}"`,
    );
  }
  let authTokenSecret: Uint8Array | undefined;
  if (env.PM_AUTH_TOKEN_SECRET) {
    authTokenSecret = Buffer.from(env.PM_AUTH_TOKEN_SECRET, 'base64');
    if (authTokenSecret.length < 32) {
      throw new InvalidArgumentError(
        'PM_AUTH_TOKEN_SECRET must be base64 of at least 32 random bytes',
      );
    }
  } else if (databaseUrl !== undefined) {
    throw new InvalidArgumentError(
      'PM_AUTH_TOKEN_SECRET is required in distributed mode (the same value on every service instance)',
    );
  }
  const dataDir = env.PM_DATA_DIR ?? './.data';
  return {
    host: env.PM_GRPC_HOST ?? '127.0.0.1',
    port: envInteger(env, 'PM_GRPC_PORT', 50051, 0, 65535),
    dataDir,
    databaseUrl,
    databaseSchema: env.PM_DATABASE_SCHEMA || undefined,
    redisUrl: env.REDIS_URL || undefined,
    redisKeyPrefix: env.PM_REDIS_KEY_PREFIX ?? 'pm:',
    authTokenSecret,
    operatorCredentials: env.PM_OPERATOR_CREDENTIALS,
    openRegistration,
    sessionGraceMs:
      envInteger(env, 'PM_SESSION_GRACE_SECONDS', 7 * 24 * 3600, 0, 365 * 24 * 3600) * 1000,
    accessTokenTtlMs: envInteger(env, 'PM_ACCESS_TOKEN_TTL_SECONDS', 600, 10, 86_400) * 1000,
    identityCacheTtlMs: envInteger(env, 'PM_IDENTITY_CACHE_TTL_MS', 5000, 0, 60_000),
    schedulerIntervalMs: envInteger(env, 'PM_ROTATION_SCHEDULER_INTERVAL_MS', 30_000, 0, 3_600_000),
    maxRequestBytes: envInteger(
      env,
      'PM_MAX_REQUEST_BYTES',
      1024 * 1024,
      64 * 1024,
      64 * 1024 * 1024,
    ),
    statementWindowMs: 5 * 60_000,
    governance: loadGovernanceConfig(env, dataDir),
  };
}
