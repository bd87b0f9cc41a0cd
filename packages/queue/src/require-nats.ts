/**
 * NATS for tests, after `requireServices` in `@proof-messenger/storage/testing`: outside CI an
 * unreachable server skips the suite with a message; in CI (`CI` set) a server that is down is
 * started with the machine's standard command (JetStream on, data in /var/lib/nats-server) and,
 * if it still does not answer within about 20 s, the suite fails instead of passing vacuously.
 */
import { spawnSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect } from '@nats-io/transport-node';

/** Whether NATS is reachable, and if not, why. */
export interface NatsAvailability {
  readonly available: boolean;
  readonly reason: string;
}

const START_COMMAND = [
  '--start',
  '--oknodo',
  '--background',
  '--exec',
  '/usr/sbin/nats-server',
  '--',
  '-a',
  '127.0.0.1',
  '-p',
  '4222',
  '-js',
  '-sd',
  '/var/lib/nats-server',
  '-l',
  '/var/log/nats-server.log',
];

/** NATS for tests: PM_TEST_NATS_URL, else the local server. */
export function natsUrl(): string {
  return process.env.PM_TEST_NATS_URL || 'nats://127.0.0.1:4222';
}

/** Connects, checks JetStream answers, disconnects; the failure message, if any. */
async function probe(): Promise<string | undefined> {
  try {
    const nc = await connect({ servers: natsUrl(), timeout: 2000, reconnect: false });
    try {
      const reply = await nc.request('$JS.API.INFO', '', { timeout: 2000 });
      const info = reply.json<{ error?: { description?: string } }>();
      return info.error === undefined ? undefined : `JetStream: ${info.error.description}`;
    } finally {
      await nc.close();
    }
  } catch (err) {
    return err instanceof Error ? err.message || err.name : String(err);
  }
}

/**
 * Checks that NATS with JetStream answers. Outside CI resolves `{ available: false }` with a
 * reason; in CI starts the server first when it is down.
 * @throws Error in CI when NATS is still unreachable `startTimeoutMs` after starting it
 */
export async function requireNats(startTimeoutMs = 20_000): Promise<NatsAvailability> {
  let failure = await probe();
  if (failure !== undefined && process.env.CI) {
    const started = spawnSync('start-stop-daemon', START_COMMAND, {
      stdio: 'ignore',
      timeout: startTimeoutMs,
    });
    const deadline = Date.now() + startTimeoutMs;
    failure = await probe();
    while (failure !== undefined && Date.now() < deadline) {
      await sleep(500);
      failure = await probe();
    }
    if (failure !== undefined && started.error)
      failure += `; start failed: ${started.error.message}`;
  }
  if (failure === undefined) return { available: true, reason: '' };
  const reason = `NATS JetStream is unreachable at ${natsUrl()} (${failure}); start it or set PM_TEST_NATS_URL`;
  if (process.env.CI) throw new Error(`CI needs ${reason}`);
  return { available: false, reason };
}

/** Deletes every stream whose name starts with `streamPrefix` (test cleanup on a shared server). */
export async function deleteStreams(url: string, streamPrefix: string): Promise<void> {
  const { jetstreamManager } = await import('@nats-io/jetstream');
  const nc = await connect({ servers: url });
  try {
    const jsm = await jetstreamManager(nc);
    for await (const name of jsm.streams.names()) {
      if (name.startsWith(streamPrefix)) await jsm.streams.delete(name);
    }
  } finally {
    await nc.close();
  }
}
