/**
 * The part of the configuration every service beside key-management shares (the envelope
 * processor and the channel service): where it listens, its data folder, the distributed backends
 * (NATS JetStream and PostgreSQL, both or neither), the shared secrets and how it reads identity
 * keys. Each service spreads this into its own typed configuration and adds its own settings.
 *
 * | variable | default | meaning |
 * | --- | --- | --- |
 * | PM_GRPC_HOST / PM_GRPC_PORT | 127.0.0.1 / the service's port | listen address (0 = any free port) |
 * | PM_DATA_DIR | ./.data | embedded storage and generated secrets |
 * | NATS_URL, PM_NATS_STREAM_PREFIX, PM_NATS_SUBJECT_PREFIX | unset, `PM_`, `pm` | distributed queue |
 * | DATABASE_URL / PM_DATABASE_SCHEMA | unset | distributed state in PostgreSQL |
 * | PM_KEY_MANAGEMENT_ADDRESS | 127.0.0.1:50051 | where identity keys are read |
 * | PM_SERVICE_CREDENTIAL | the local operator credential | credential keys are read with (required distributed) |
 * | PM_AUTH_TOKEN_SECRET / PM_OPERATOR_CREDENTIALS | as key-management | caller authentication |
 * | PM_REPLAY_WINDOW_SECONDS | 300 | accepted distance of created_at_ms from the server clock |
 * | PM_QUEUE_PARTITIONS | 16 | queue partitions (the same on every service) |
 * | PM_KEY_CACHE_TTL_MS | 2000 | bound on accepting a key after its revocation |
 */
import { InvalidArgumentError } from '@proof-messenger/errors';
import { envInteger } from '@proof-messenger/rpc';
import type { PeerAuthenticationSettings } from './peer-authentication.ts';

export interface PeerServiceConfig extends PeerAuthenticationSettings {
  readonly host: string;
  readonly port: number;
  readonly natsUrl: string | undefined;
  readonly natsStreamPrefix: string | undefined;
  readonly natsSubjectPrefix: string | undefined;
  readonly databaseUrl: string | undefined;
  readonly databaseSchema: string | undefined;
  readonly replayWindowMs: number;
  readonly partitions: number;
}

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Reads the shared settings; `defaultPort` is the service's own.
 * @throws InvalidArgumentError naming the variable that is missing or malformed
 */
export function loadPeerServiceConfig(env: Env, defaultPort: number): PeerServiceConfig {
  const natsUrl = env.NATS_URL || undefined;
  const databaseUrl = env.DATABASE_URL || undefined;
  if ((natsUrl === undefined) !== (databaseUrl === undefined)) {
    throw new InvalidArgumentError(
      'distributed mode needs both NATS_URL and DATABASE_URL (or neither for embedded)',
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
    port: envInteger(env, 'PM_GRPC_PORT', defaultPort, 0, 65535),
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
    replayWindowMs: envInteger(env, 'PM_REPLAY_WINDOW_SECONDS', 300, 1, 86_400) * 1000,
    partitions: envInteger(env, 'PM_QUEUE_PARTITIONS', 16, 1, 1024),
    keyCacheTtlMs: envInteger(env, 'PM_KEY_CACHE_TTL_MS', 2000, 0, 60_000),
  };
}
