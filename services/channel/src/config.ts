import { loadPeerServiceConfig, type PeerServiceConfig } from '@proof-messenger/key-directory';
import { envInteger } from '@proof-messenger/rpc';

export interface ChannelConfig extends PeerServiceConfig {
  readonly maxMessageBytes: number;
  readonly defaultRetentionSeconds: number;
  readonly maxSubscribers: number;
  readonly fanoutConcurrency: number;
  readonly fanoutIntervalMs: number;
}

type Env = Readonly<Record<string, string | undefined>>;

/** Reads the configuration from `env` (process.env by default). */
export function loadConfig(env: Env = process.env): ChannelConfig {
  return {
    ...loadPeerServiceConfig(env, 50053),
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
  };
}
