/**
 * Environment → typed configuration of the envelope processor. Embedded by default (node:sqlite
 * queue and replay guard in PM_DATA_DIR); distributed when NATS_URL and DATABASE_URL are set.
 *
 * | variable | default | meaning |
 * | --- | --- | --- |
 * | PM_GRPC_HOST / PM_GRPC_PORT | 127.0.0.1 / 50052 | listen address (0 = any free port) |
 * | PM_DATA_DIR | ./.data | embedded: queue and replay-guard database, generated secrets |
 * | NATS_URL | (unset) | distributed: NATS JetStream for the queues |
 * | PM_NATS_STREAM_PREFIX / PM_NATS_SUBJECT_PREFIX | `PM_` / `pm` | distributed: names of streams and subjects |
 * | DATABASE_URL / PM_DATABASE_SCHEMA | (unset) | distributed: PostgreSQL for the replay guard |
 * | PM_KEY_MANAGEMENT_ADDRESS | 127.0.0.1:50051 | where identity keys are read |
 * | PM_SERVICE_CREDENTIAL | operator credential in PM_DATA_DIR | credential this service reads keys with |
 * | PM_AUTH_TOKEN_SECRET / PM_OPERATOR_CREDENTIALS | as key-management | caller authentication |
 * | PM_MAX_ENVELOPE_BYTES | 1048576 | larger envelopes get RESOURCE_EXHAUSTED |
 * | PM_REPLAY_WINDOW_SECONDS | 300 | accepted distance of created_at_ms from the server clock |
 * | PM_DEFAULT_TTL_SECONDS | 86400 | TTL of messages that ask for 0 |
 * | PM_QUEUE_PARTITIONS | 16 | number of queue partitions |
 * | PM_ACK_WAIT_MS / PM_MAX_DELIVERIES | 30000 / 5 | redelivery and dead-lettering |
 * | PM_REDELIVERY_BACKOFF_MS | 1000,5000,30000,120000 | extra delay before the n-th redelivery |
 * | PM_KEY_CACHE_TTL_MS | 2000 | bound on accepting a key after its revocation |
 * | PM_HOUSEKEEPING_INTERVAL_MS | 5000 | how often expiry / dead-letter notices are sent and the replay guard pruned (0 = never) |
 * | PM_VERIFY_WORKERS | number of cores | signature-verification worker threads (native crypto; 0 = verify on the event loop) |
 *
 * Plus the governance settings (policy engine, rate limits — `send` — and audit log) of
 * `loadGovernanceConfig` in @proof-messenger/governance, with PM_DATA_DIR as its data folder;
 * used when this service opens its own governance (alone, not inside the embedded platform).
 */
import { availableParallelism } from 'node:os';
import { InvalidArgumentError } from '@proof-messenger/errors';
import { type GovernanceConfig, loadGovernanceConfig } from '@proof-messenger/governance';
import { loadPeerServiceConfig, type PeerServiceConfig } from '@proof-messenger/key-directory';
import { envInteger } from '@proof-messenger/rpc';

export interface EnvelopeProcessorConfig extends PeerServiceConfig {
  readonly maxEnvelopeBytes: number;
  readonly defaultTtlMs: number;
  readonly ackWaitMs: number;
  readonly maxDeliveries: number;
  readonly redeliveryBackoffMs: readonly number[];
  readonly verifyWorkers: number;
  readonly housekeepingIntervalMs: number;
  /** Policy engine, rate limits and audit log, when this service opens its own governance. */
  readonly governance: GovernanceConfig;
}

type Env = Readonly<Record<string, string | undefined>>;

function backoff(raw: string | undefined): readonly number[] {
  if (raw === undefined || raw === '') return [1_000, 5_000, 30_000, 120_000];
  const steps = raw.split(',').map((part) => Number(part.trim()));
  if (
    steps.length === 0 ||
    steps.some((step) => !Number.isInteger(step) || step < 0 || step > 3_600_000)
  ) {
    throw new InvalidArgumentError(
      `PM_REDELIVERY_BACKOFF_MS must be comma-separated milliseconds (0-3600000), got "${raw}"`,
    );
  }
  return steps;
}

/** Reads the configuration from `env` (process.env by default). */
export function loadConfig(env: Env = process.env): EnvelopeProcessorConfig {
  const peer = loadPeerServiceConfig(env, 50052);
  return {
    ...peer,
    maxEnvelopeBytes: envInteger(env, 'PM_MAX_ENVELOPE_BYTES', 1024 * 1024, 4096, 64 * 1024 * 1024),
    defaultTtlMs: envInteger(env, 'PM_DEFAULT_TTL_SECONDS', 86_400, 1, 30 * 86_400) * 1000,
    ackWaitMs: envInteger(env, 'PM_ACK_WAIT_MS', 30_000, 100, 3_600_000),
    maxDeliveries: envInteger(env, 'PM_MAX_DELIVERIES', 5, 1, 100),
    redeliveryBackoffMs: backoff(env.PM_REDELIVERY_BACKOFF_MS),
    verifyWorkers: envInteger(env, 'PM_VERIFY_WORKERS', availableParallelism(), 0, 64),
    housekeepingIntervalMs: envInteger(env, 'PM_HOUSEKEEPING_INTERVAL_MS', 5000, 0, 3_600_000),
    governance: loadGovernanceConfig(env, peer.dataDir),
  };
}
