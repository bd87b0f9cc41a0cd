/**
 * Boots the real key-management service on 127.0.0.1 port 0, embedded (node:sqlite in a temp
 * folder) or distributed (a PostgreSQL schema and a Redis key prefix of its own), with a clock the
 * test can move forward and an operator credential for operator calls. Each instance opens its
 * own governance (policy engine, rate limiter, audit log) on the same storage.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AuditEntry, AuditQuery } from '@proof-messenger/audit-log';
import { OperatorCredentials } from '@proof-messenger/auth';
import { nativeProvider } from '@proof-messenger/crypto';
import { silentLogger } from '@proof-messenger/rpc';
import { openPostgresDatabase } from '@proof-messenger/storage';
import { postgresUrl, redisUrl, uniqueSchemaName } from '@proof-messenger/storage/testing';
import { type KeyManagementConfig, loadConfig } from '../src/config.ts';
import {
  createKeyManagementServer,
  type KeyManagementServer,
} from '../src/key-management-server.ts';

export type Mode = 'embedded' | 'distributed';

/** A clock tests move forward; shared by the service and the SDK under test. */
export class TestClock {
  offsetMs = 0;
  readonly now = (): number => Date.now() + this.offsetMs;
  advance(ms: number): void {
    this.offsetMs += ms;
  }
}

export { silentLogger };

export interface Harness {
  readonly mode: Mode;
  readonly clock: TestClock;
  readonly operatorCredential: string;
  readonly config: KeyManagementConfig;
  /** Starts one more instance on the same storage (for multi-instance tests). */
  startInstance(): Promise<{ server: KeyManagementServer; address: string }>;
  readonly server: KeyManagementServer;
  readonly address: string;
  /**
   * The audit entries matching `query`, oldest first, once every instance's recorder has written
   * what it holds (recording is batched).
   */
  auditEntries(query: AuditQuery): Promise<AuditEntry[]>;
  /**
   * The settings another service needs to work with this key-management: where it is, the
   * credential to read keys with, and the shared token secret and operator credentials.
   */
  peerEnv(): Record<string, string>;
  close(): Promise<void>;
}

/** Starts a service in `mode`; `env` overrides configuration variables. */
export async function startHarness(mode: Mode, env: Record<string, string> = {}): Promise<Harness> {
  const clock = new TestClock();
  const operator = OperatorCredentials.generate('ops');
  const dataDir = mkdtempSync(join(tmpdir(), 'pm-km-'));
  const schema = uniqueSchemaName('pm_kms');
  const base: Record<string, string> = {
    PM_GRPC_PORT: '0',
    PM_DATA_DIR: dataDir,
    PM_OPERATOR_CREDENTIALS: operator.entry,
    PM_AUTH_TOKEN_SECRET: randomBytes(32).toString('base64'),
    PM_ROTATION_SCHEDULER_INTERVAL_MS: '0',
    PM_OPEN_REGISTRATION: 'off',
    ...(mode === 'distributed'
      ? {
          DATABASE_URL: postgresUrl(),
          PM_DATABASE_SCHEMA: schema,
          REDIS_URL: redisUrl(),
          PM_REDIS_KEY_PREFIX: `pmtest:${randomUUID()}:`,
        }
      : {}),
    ...env,
  };
  const config = loadConfig(base);
  const instances: KeyManagementServer[] = [];
  const startInstance = async () => {
    const server = await createKeyManagementServer(config, {
      provider: nativeProvider,
      now: clock.now,
      log: silentLogger,
    });
    instances.push(server);
    const port = await server.start();
    return { server, address: `127.0.0.1:${port}` };
  };
  const first = await startInstance();
  return {
    mode,
    clock,
    operatorCredential: operator.credential,
    config,
    startInstance,
    server: first.server,
    address: first.address,
    async auditEntries(query) {
      for (const server of instances) await server.governance.recorder.flush();
      const page = await first.server.governance.trail.query({ pageSize: 1000, ...query });
      return page.entries.reverse();
    },
    peerEnv: () => ({
      PM_KEY_MANAGEMENT_ADDRESS: first.address,
      PM_SERVICE_CREDENTIAL: operator.credential,
      PM_AUTH_TOKEN_SECRET: base.PM_AUTH_TOKEN_SECRET ?? '',
      PM_OPERATOR_CREDENTIALS: operator.entry,
    }),
    async close() {
      for (const server of instances) await server.destroy();
      rmSync(dataDir, { recursive: true, force: true });
      if (mode === 'distributed') {
        const db = await openPostgresDatabase({ connectionString: postgresUrl() });
        await db.execute(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
        await db.close();
      }
    },
  };
}
