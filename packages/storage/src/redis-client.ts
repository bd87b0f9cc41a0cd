/**
 * Opens the Redis client the distributed adapters share (ioredis). The settings trade a little
 * resilience for bounded latency, because every caller here sits on a request path:
 *
 * - `lazyConnect: false` and waiting for `ready`: a service with a wrong REDIS_URL fails at start
 *   with a clear error instead of on its first request.
 * - `enableOfflineQueue: true` with `maxRetriesPerRequest: 1`: a command issued during a brief
 *   reconnect (failover, restart) is held for one reconnect attempt and then fails with
 *   UnavailableError (via `mapRedisError`); turning the queue off would fail even blips at once.
 * - `commandTimeout`: a hung server turns into a retryable error, not a stuck request.
 * - reconnects continue in the background forever (capped backoff), so the client heals on its own.
 *
 * ioredis is imported when a client is opened, not with this module: the embedded mode never
 * opens one, and loading it costs about 8 MiB RSS.
 */
import type { Redis } from 'ioredis';
import { mapRedisError } from './driver-errors.ts';

/** The Redis client type the adapters take. */
export type RedisClient = Redis;

/** Options of `openRedis`. */
export interface RedisOptions {
  /** Per-command timeout in ms (default 2000). */
  readonly commandTimeoutMs?: number;
  /** How long `openRedis` waits for the first connection in ms (default 5000). */
  readonly connectTimeoutMs?: number;
}

/**
 * Connects to `url` (`redis://[user:pass@]host:port[/db]`) and resolves once the server answers.
 * @throws UnavailableError when the server cannot be reached within `connectTimeoutMs`
 */
export async function openRedis(url: string, options: RedisOptions = {}): Promise<RedisClient> {
  const connectTimeoutMs = options.connectTimeoutMs ?? 5000;
  const { Redis } = await import('ioredis');
  const client = new Redis(url, {
    lazyConnect: false,
    enableOfflineQueue: true,
    maxRetriesPerRequest: 1,
    commandTimeout: options.commandTimeoutMs ?? 2000,
    connectTimeout: connectTimeoutMs,
    retryStrategy: (attempt: number) => Math.min(attempt * 100, 2000),
  });
  // ioredis emits `error` on every failed reconnect; without a listener Node would crash.
  let lastError: unknown;
  client.on('error', (err: unknown) => {
    lastError = err;
  });
  try {
    await waitUntilReady(client, connectTimeoutMs);
  } catch (err) {
    client.disconnect();
    throw mapRedisError(lastError ?? err);
  }
  return client;
}

function waitUntilReady(client: Redis, timeoutMs: number): Promise<void> {
  if (client.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      client.off('ready', onReady);
      reject(new Error(`Connection is closed: no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    const onReady = () => {
      clearTimeout(timer);
      resolve();
    };
    client.once('ready', onReady);
  });
}
