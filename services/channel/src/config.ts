/**
 * Environment → typed configuration of the channel service. Distributed mode (NATS_URL and
 * DATABASE_URL set) runs it as its own process; in the embedded mode it runs inside the platform,
 * which hands it the platform's queue and database.
 *
 * | variable | default | meaning |
 * | --- | --- | --- |
 * | PM_GRPC_HOST / PM_GRPC_PORT | 127.0.0.1 / 50053 | listen address (0 = any free port) |
 * | PM_DATA_DIR | ./.data | generated secrets (embedded), shared with the other services |
 * | NATS_URL, PM_NATS_STREAM_PREFIX, PM_NATS_SUBJECT_PREFIX | unset, `PM_`, `pm` | the queue subscribers' copies go to (the envelope processor's) |
 * | DATABASE_URL / PM_DATABASE_SCHEMA | unset | channels, members, publications |
 * | PM_KEY_MANAGEMENT_ADDRESS / PM_SERVICE_CREDENTIAL | 127.0.0.1:50051 / local operator | where identity keys are read |
 * | PM_AUTH_TOKEN_SECRET / PM_OPERATOR_CREDENTIALS | as key-management | caller authentication |
 * | PM_QUEUE_PARTITIONS | 16 | must match the envelope processor's |
 * | PM_CHANNEL_MAX_MESSAGE_BYTES | 262144 | largest channel envelope any channel accepts |
 * | PM_CHANNEL_RETENTION_SECONDS | 604800 | default retention of a channel (7 days) |
 * | PM_CHANNEL_MAX_SUBSCRIBERS | 10000 | default and upper bound of a channel's subscribers |
 * | PM_REPLAY_WINDOW_SECONDS | 300 | accepted distance of created_at_ms from the server clock |
 * | PM_FANOUT_CONCURRENCY | 256 | subscriber copies enqueued at once by one fanout |
 * | PM_FANOUT_INTERVAL_MS | 1000 | how often unfinished fanouts (e.g. after a crash) are resumed |
 * | PM_KEY_CACHE_TTL_MS | 2000 | bound on accepting a key after its revocation |
 */
import { InvalidArgumentError } from '@proof-messenger/errors';
import { envInteger } from '@proof-messenger/rpc';

export interface ChannelConfig {
  readonly host: string;
  readonly port: number;
  readonly dataDir: string;
  readonly natsUrl: string | undefined;
  readonly natsStreamPrefix: string | undefined;
  readonly natsSubjectPrefix: string | undefined;
  readonly databaseUrl: string | undefined;
  readonly databaseSchema: string | undefined;
  readonly keyManagementAddress: string;
  readonly serviceCredential: string | undefined;
  readonly authTokenSecret: Uint8Array | undefined;
  readonly operatorCredentials: string | undefined;
  readonly partitions: number;
  readonly maxMessageBytes: number;
  readonly defaultRetentionSeconds: number;
  readonly maxSubscribers: number;
  readonly replayWindowMs: number;
  readonly fanoutConcurrency: number;
  readonly fanoutIntervalMs: number;
  readonly keyCacheTtlMs: number;
}

type Env = Readonly<Record<string, string | undefined>>;

/** Reads the configuration from `env` (process.env by default). */
export function loadConfig(env: Env = process.env): ChannelConfig {
  const natsUrl = env.NATS_URL || undefined;
  const databaseUrl = env.DATABASE_URL || undefined;
  if ((natsUrl === undefined) !== (databaseUrl === undefined)) {
    throw new InvalidArgumentError(
      'distributed mode needs both NATS_URL and DATABASE_URL (or neither, inside the embedded platform)',
    );
  }
  const secret = env.PM_AUTH_TOKEN_SECRET
    ? Buffer.from(env.PM_AUTH_TOKEN_SECRET, 'base64')
    : undefined;
  if (secret !== undefined && secret.length < 32) {
    throw new InvalidArgumentError(
      'PM_AUTH_TOKEN_SECRET must be base64 of at least 32 random bytes',
    );
  }
  if (natsUrl !== undefined && (secret === undefined || !env.PM_SERVICE_CREDENTIAL)) {
    throw new InvalidArgumentError(
      'distributed mode needs PM_AUTH_TOKEN_SECRET and PM_SERVICE_CREDENTIAL',
    );
  }
  return {
    host: env.PM_GRPC_HOST ?? '127.0.0.1',
    port: envInteger(env, 'PM_GRPC_PORT', 50053, 0, 65535),
    dataDir: env.PM_DATA_DIR ?? './.data',
    natsUrl,
    natsStreamPrefix: env.PM_NATS_STREAM_PREFIX || undefined,
    natsSubjectPrefix: env.PM_NATS_SUBJECT_PREFIX || undefined,
    databaseUrl,
    databaseSchema: env.PM_DATABASE_SCHEMA || undefined,
    keyManagementAddress: env.PM_KEY_MANAGEMENT_ADDRESS ?? '127.0.0.1:50051',
    serviceCredential: env.PM_SERVICE_CREDENTIAL || undefined,
    authTokenSecret: secret,
    operatorCredentials: env.PM_OPERATOR_CREDENTIALS,
    partitions: envInteger(env, 'PM_QUEUE_PARTITIONS', 16, 1, 1024),
    maxMessageBytes: envInteger(
      env,
      'PM_CHANNEL_MAX_MESSAGE_BYTES',
      256 * 1024,
      4096,
      16 * 1024 * 1024,
    ),
    defaultRetentionSeconds: envInteger(
      env,
      'PM_CHANNEL_RETENTION_SECONDS',
      7 * 86_400,
      60,
      365 * 86_400,
    ),
    maxSubscribers: envInteger(env, 'PM_CHANNEL_MAX_SUBSCRIBERS', 10_000, 1, 1_000_000),
    replayWindowMs: envInteger(env, 'PM_REPLAY_WINDOW_SECONDS', 300, 1, 86_400) * 1000,
    fanoutConcurrency: envInteger(env, 'PM_FANOUT_CONCURRENCY', 256, 1, 10_000),
    fanoutIntervalMs: envInteger(env, 'PM_FANOUT_INTERVAL_MS', 1000, 0, 3_600_000),
    keyCacheTtlMs: envInteger(env, 'PM_KEY_CACHE_TTL_MS', 2000, 0, 60_000),
  };
}
