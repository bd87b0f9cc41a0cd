/**
 * The channel service's configuration, from the environment:
 *
 * | variable | default | meaning |
 * | --- | --- | --- |
 * | PM_CHANNEL_MAX_MESSAGE_BYTES | 262144 | largest publication (a channel may set less) |
 * | PM_CHANNEL_RETENTION_SECONDS | 604800 | how long copies wait in members' queues by default |
 * | PM_CHANNEL_MAX_SUBSCRIBERS | 10000 | most members per channel (a channel may set less) |
 * | PM_FANOUT_CONCURRENCY | 256 | copies stored at once by the fanout |
 * | PM_FANOUT_INTERVAL_MS | 1000 | how often the fanout looks for unfinished work (0 = only when kicked) |
 *
 * Plus the peer settings of `loadPeerServiceConfig` (port 50053 by default) and the governance
 * settings (policy engine, rate limits — `publish`, `subscribe`, `manage_channel` — and audit
 * log) of `loadGovernanceConfig` in @proof-messenger/governance, with PM_DATA_DIR as its data
 * folder; used when this service opens its own governance (alone, not inside the platform).
 */
import { type GovernanceConfig, loadGovernanceConfig } from '@proof-messenger/governance';
import { loadPeerServiceConfig, type PeerServiceConfig } from '@proof-messenger/key-directory';
import { envInteger } from '@proof-messenger/rpc';

export interface ChannelConfig extends PeerServiceConfig {
  readonly maxMessageBytes: number;
  readonly defaultRetentionSeconds: number;
  readonly maxSubscribers: number;
  readonly fanoutConcurrency: number;
  readonly fanoutIntervalMs: number;
  /** Policy engine, rate limits and audit log, when this service opens its own governance. */
  readonly governance: GovernanceConfig;
}

type Env = Readonly<Record<string, string | undefined>>;

/** Reads the configuration from `env` (process.env by default). */
export function loadConfig(env: Env = process.env): ChannelConfig {
  const peer = loadPeerServiceConfig(env, 50053);
  return {
    ...peer,
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
    fanoutConcurrency: envInteger(env, 'PM_FANOUT_CONCURRENCY', 256, 1, 10_000),
    fanoutIntervalMs: envInteger(env, 'PM_FANOUT_INTERVAL_MS', 1000, 0, 3_600_000),
    governance: loadGovernanceConfig(env, peer.dataDir),
  };
}
