/**
 * Helpers for tests that need a real PostgreSQL or Redis. Outside CI a missing service skips the
 * suite with a message (a laptop without PostgreSQL can still run everything else); in CI
 * (`CI` set) a missing service is started with the machine's standard command and, if it still
 * does not answer within about 20 s, the suite fails instead of passing vacuously.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import pg from 'pg';

/** A service a test suite needs. */
export type TestService = 'postgres' | 'redis';

/** Whether the services a suite needs are reachable, and if not, why. */
export interface ServiceAvailability {
  readonly available: boolean;
  readonly reason: string;
}

/** How CI starts each service on this project's machines (see the machine notes). */
const START_COMMANDS: Readonly<Record<TestService, string>> = {
  postgres: 'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start',
  redis:
    'redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log',
};

/** Options of `requireServices`. */
export interface RequireServicesOptions {
  /** How long CI waits for a service it started (default 20 000 ms). */
  readonly startTimeoutMs?: number;
}

const PROBE_TIMEOUT_MS = 2000;

/** PostgreSQL for tests: PM_TEST_DATABASE_URL, else the local server's `test` database. */
export function postgresUrl(): string {
  return process.env.PM_TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
}

/** Redis for tests: PM_TEST_REDIS_URL, else the local server. */
export function redisUrl(): string {
  return process.env.PM_TEST_REDIS_URL || 'redis://127.0.0.1:6379';
}

/** A fresh schema name (PostgreSQL identifier rules, ≤ 63 chars) for one suite's run. */
export function uniqueSchemaName(prefix: string): string {
  const clean = prefix.toLowerCase().replace(/[^a-z0-9_]/g, '_');
  const suffix = `${process.pid.toString(36)}_${Date.now().toString(36)}_${randomBytes(6).toString('hex')}`;
  const head = /^[a-z_]/.test(clean) ? clean : `t_${clean}`;
  return `${head.slice(0, 62 - suffix.length)}_${suffix}`;
}

async function probePostgres(): Promise<string | undefined> {
  const client = new pg.Client({
    connectionString: postgresUrl(),
    connectionTimeoutMillis: PROBE_TIMEOUT_MS,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return undefined;
  } catch (err) {
    return messageOf(err);
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function probeRedis(): Promise<string | undefined> {
  const client = new Redis(redisUrl(), {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: PROBE_TIMEOUT_MS,
    retryStrategy: () => null,
  });
  // ioredis rejects with "Connection is closed."; the socket's reason arrives as an event.
  let socketError: unknown;
  client.on('error', (err: unknown) => {
    socketError ??= err;
  });
  try {
    await client.connect();
    await client.ping();
    return undefined;
  } catch (err) {
    return messageOf(socketError ?? err);
  } finally {
    client.disconnect();
  }
}

function messageOf(err: unknown): string {
  if (err instanceof AggregateError && err.errors.length > 0) return messageOf(err.errors[0]);
  return err instanceof Error ? err.message || err.name : String(err);
}

const PROBES: Readonly<Record<TestService, () => Promise<string | undefined>>> = {
  postgres: probePostgres,
  redis: probeRedis,
};

const URLS: Readonly<Record<TestService, () => string>> = {
  postgres: postgresUrl,
  redis: redisUrl,
};

/** Starts `service` with its standard command and waits for it; the last failure, if any. */
async function startAndWait(service: TestService, timeoutMs: number): Promise<string | undefined> {
  // Output goes to a file, not a pipe: a daemon that keeps the pipe open would hold spawnSync.
  const logPath = join(tmpdir(), `pm-start-${service}-${process.pid}.log`);
  const log = openSync(logPath, 'w');
  try {
    spawnSync('bash', ['-c', START_COMMANDS[service]], {
      stdio: ['ignore', log, log],
      timeout: timeoutMs,
    });
  } finally {
    closeSync(log);
  }
  const output = readFileSync(logPath, 'utf8').trim();
  rmSync(logPath, { force: true });
  const deadline = Date.now() + timeoutMs;
  let failure = await PROBES[service]();
  while (failure !== undefined && Date.now() < deadline) {
    await sleep(500);
    failure = await PROBES[service]();
  }
  if (failure === undefined) return undefined;
  return `${failure}${output === '' ? '' : `; start command said: ${output}`}`;
}

/**
 * Checks that every service in `services` answers. Outside CI resolves `{ available: false }`
 * with a reason naming the service, its URL, the error and the variable to set; in CI tries to
 * start what is down first.
 * @throws Error in CI when a service is still unreachable `startTimeoutMs` after starting it
 */
export async function requireServices(
  services: readonly TestService[],
  options: RequireServicesOptions = {},
): Promise<ServiceAvailability> {
  const startTimeoutMs = options.startTimeoutMs ?? 20_000;
  for (const service of services) {
    let failure = await PROBES[service]();
    if (failure !== undefined && process.env.CI) {
      failure = await startAndWait(service, startTimeoutMs);
    }
    if (failure === undefined) continue;
    const variable = service === 'postgres' ? 'PM_TEST_DATABASE_URL' : 'PM_TEST_REDIS_URL';
    const reason = `${service} is unreachable at ${URLS[service]()} (${failure}); start it or set ${variable}`;
    if (process.env.CI) throw new Error(`CI needs ${reason}`);
    return { available: false, reason };
  }
  return { available: true, reason: '' };
}
