/**
 * Environment → typed configuration of the embedded platform. The platform reads the same
 * variables as the services it hosts (see their config.ts); it owns only the listen address and
 * the data folder, which every hosted service shares.
 *
 * | variable | default | meaning |
 * | --- | --- | --- |
 * | PM_GRPC_HOST / PM_GRPC_PORT | 127.0.0.1 / 50051 | the one gRPC port of every service (0 = any free port) |
 * | PM_DATA_DIR | ./.data | node:sqlite databases and generated secrets; survives restarts |
 * | PM_GRPC_WEB_PORT | unset (off) | also serve gRPC-web for browsers on this port (docs/browser.md) |
 * | PM_GRPC_WEB_HOST | 127.0.0.1 | where the gRPC-web gateway listens |
 * | PM_GRPC_WEB_ORIGINS | (none) | comma-separated browser origins allowed by CORS (`*` for any) |
 *
 * The platform is the embedded mode: with NATS_URL, DATABASE_URL or REDIS_URL set it refuses to
 * start, because distributed deployments run each service as its own process.
 */
import { type ChannelConfig, loadConfig as loadChannelConfig } from '@proof-messenger/channel';
import {
  type EnvelopeProcessorConfig,
  loadConfig as loadEnvelopeProcessorConfig,
} from '@proof-messenger/envelope-processor';
import { InvalidArgumentError } from '@proof-messenger/errors';
import {
  type GovernanceServiceConfig,
  loadConfig as loadGovernanceServiceConfig,
} from '@proof-messenger/governance';
import {
  type KeyManagementConfig,
  loadConfig as loadKeyManagementConfig,
} from '@proof-messenger/key-management';
import { envInteger } from '@proof-messenger/rpc';

type Env = Readonly<Record<string, string | undefined>>;

export interface PlatformConfig {
  readonly host: string;
  readonly port: number;
  readonly dataDir: string;
  readonly keyManagement: KeyManagementConfig;
  readonly envelopeProcessor: EnvelopeProcessorConfig;
  readonly channel: ChannelConfig;
  /** Policies, rate limits and the audit log, shared by every hosted service. */
  readonly governance: GovernanceServiceConfig;
  /** The gRPC-web gateway for browsers, when PM_GRPC_WEB_PORT is set. */
  readonly grpcWeb:
    | { readonly host: string; readonly port: number; readonly allowedOrigins: readonly string[] }
    | undefined;
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '::1', 'localhost']);

const DISTRIBUTED_VARIABLES = ['NATS_URL', 'DATABASE_URL', 'REDIS_URL'] as const;

/** Reads the configuration from `env` (process.env by default). */
export function loadPlatformConfig(env: Env = process.env): PlatformConfig {
  const distributed = DISTRIBUTED_VARIABLES.filter((name) => env[name]);
  if (distributed.length > 0) {
    throw new InvalidArgumentError(
      `the embedded platform keeps its state in PM_DATA_DIR; unset ${distributed.join(', ')} or run the services as separate processes (distributed mode, see README)`,
    );
  }
  const host = env.PM_GRPC_HOST ?? '127.0.0.1';
  const port = envInteger(env, 'PM_GRPC_PORT', 50051, 0, 65535);
  const dataDir = env.PM_DATA_DIR ?? './.data';
  // The hosted services listen through the platform, never on their own ports.
  const shared = { ...env, PM_GRPC_HOST: host, PM_GRPC_PORT: String(port), PM_DATA_DIR: dataDir };
  const grpcWeb =
    env.PM_GRPC_WEB_PORT === undefined || env.PM_GRPC_WEB_PORT === ''
      ? undefined
      : {
          host: env.PM_GRPC_WEB_HOST ?? '127.0.0.1',
          port: envInteger(env, 'PM_GRPC_WEB_PORT', 0, 0, 65535),
          allowedOrigins: (env.PM_GRPC_WEB_ORIGINS ?? '')
            .split(',')
            .map((origin) => origin.trim())
            .filter((origin) => origin !== ''),
        };
  const keyManagement = loadKeyManagementConfig(shared);
  // Every call through the gateway comes from loopback: open registration would be open to
  // whoever reaches the gateway.
  if (
    grpcWeb !== undefined &&
    !LOOPBACK_HOSTS.has(grpcWeb.host) &&
    keyManagement.openRegistration === 'loopback'
  ) {
    throw new InvalidArgumentError(
      `PM_GRPC_WEB_HOST=${grpcWeb.host} with open registration would let anyone who reaches the gateway register agents; set PM_OPEN_REGISTRATION=off (and issue enrollment credentials) or keep the gateway on 127.0.0.1`,
    );
  }
  return {
    host,
    port,
    dataDir,
    keyManagement,
    envelopeProcessor: loadEnvelopeProcessorConfig(shared),
    channel: loadChannelConfig(shared),
    governance: loadGovernanceServiceConfig(shared),
    grpcWeb,
  };
}
