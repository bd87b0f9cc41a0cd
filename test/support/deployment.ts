/**
 * The two ways the platform runs, as real processes, behind one shape the end-to-end suites use:
 *
 * - `embedded`: `node services/platform/bin/start.js` — every service in one process on one port,
 *   node:sqlite in a temporary data folder, open registration from loopback (its default).
 * - `distributed`: `key-management`, `envelope-processor` and `governance` as three processes over the machine's
 *   PostgreSQL (a schema of their own), Redis (a key prefix of their own) and NATS JetStream
 *   (streams and subjects with a prefix of their own, deleted at the end); registration needs an
 *   enrollment credential an operator issues, as in production. The governance process holds the
 *   audit key and signs checkpoints over the log the other two append to.
 *
 * Both get the same settings that make redelivery, expiry and dead-lettering observable within a
 * test: a short ack wait, no backoff, housekeeping several times a second.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createAuditKeyFile } from '@proof-messenger/audit-log';
import { OperatorCredentials } from '@proof-messenger/auth';
import { KeyManagementClient } from '@proof-messenger/client-sdk';
import { nativeProvider } from '@proof-messenger/crypto';
import { deleteStreams, natsUrl } from '@proof-messenger/queue/testing';
import { openPostgresDatabase } from '@proof-messenger/storage';
import { postgresUrl, redisUrl, uniqueSchemaName } from '@proof-messenger/storage/testing';
import { ChildService } from './child-service.ts';

export type DeploymentMode = 'embedded' | 'distributed';

/** A running deployment. */
export interface Deployment {
  readonly mode: DeploymentMode;
  /** Where agents reach key management. */
  readonly keyManagementAddress: string;
  /** Where agents reach the envelope processor (the same port in embedded mode). */
  readonly envelopeProcessorAddress: string;
  /** Where the PolicyService and AuditService answer (the same port in embedded mode). */
  readonly governanceAddress: string;
  /** `Operator <credential>` for calls that need an operator. */
  readonly operatorAuthorization: string;
  /** The ack wait the services run with, in ms. */
  readonly ackWaitMs: number;
  /** A credential that lets `agentId` register ('' where open registration applies). */
  enrollmentFor(agentId: string): Promise<string>;
  /** The last lines each process printed, for failure messages. */
  output(): string;
  close(): Promise<void>;
}

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
// Started the way operators start them: bin/start.js (compile cache on, then src/main.ts).
const main = (service: string) => join(REPO_ROOT, 'services', service, 'bin', 'start.js');

/** Settings both modes share: quick redelivery, expiry and dead-letter notices. */
const TIMING = {
  PM_ACK_WAIT_MS: '1500',
  PM_REDELIVERY_BACKOFF_MS: '0',
  PM_MAX_DELIVERIES: '5',
  PM_HOUSEKEEPING_INTERVAL_MS: '200',
  PM_KEY_CACHE_TTL_MS: '500',
  PM_AUDIT_CHECKPOINT_INTERVAL_MS: '500',
};

function spawn(name: string, service: string, env: Record<string, string>): Promise<ChildService> {
  return ChildService.start({
    name,
    command: process.execPath,
    args: [main(service)],
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    ready: new RegExp(`^${name} listening on (\\S+):(\\d+)$`),
    startTimeoutMs: 30_000,
  });
}

const addressOf = (child: ChildService) => `${child.readyMatch[1]}:${child.readyMatch[2]}`;

/** Starts the platform as one process on a free port with a fresh data folder. */
export async function startEmbedded(): Promise<Deployment> {
  const dataDir = mkdtempSync(join(tmpdir(), 'pm-e2e-embedded-'));
  const platform = await spawn('platform', 'platform', {
    ...TIMING,
    PM_GRPC_PORT: '0',
    PM_DATA_DIR: dataDir,
  });
  const address = addressOf(platform);
  return {
    mode: 'embedded',
    keyManagementAddress: address,
    envelopeProcessorAddress: address,
    governanceAddress: address,
    operatorAuthorization: `Operator ${readFileSync(join(dataDir, 'operator.credential'), 'utf8').trim()}`,
    ackWaitMs: Number(TIMING.PM_ACK_WAIT_MS),
    enrollmentFor: async () => '',
    output: () => platform.output(),
    async close() {
      await platform.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Starts key-management and the envelope processor as two processes on the shared backends. */
export async function startDistributed(): Promise<Deployment> {
  const dataDir = mkdtempSync(join(tmpdir(), 'pm-e2e-distributed-'));
  const operator = OperatorCredentials.generate('e2e-ops');
  const schema = uniqueSchemaName('pm_e2e');
  const tag = randomUUID().replaceAll('-', '').slice(0, 12);
  const streamPrefix = `PME2E_${tag}_`;
  const shared = {
    ...TIMING,
    PM_GRPC_PORT: '0',
    PM_DATA_DIR: dataDir,
    DATABASE_URL: postgresUrl(),
    PM_DATABASE_SCHEMA: schema,
    PM_AUTH_TOKEN_SECRET: randomBytes(32).toString('base64'),
    PM_OPERATOR_CREDENTIALS: operator.entry,
  };
  const children: ChildService[] = [];
  const cleanup = async () => {
    for (const child of children.reverse()) await child.stop();
    await deleteStreams(natsUrl(), streamPrefix);
    const db = await openPostgresDatabase({ connectionString: postgresUrl() });
    await db.execute(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await db.close();
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    const keyManagement = await spawn('key-management', 'key-management', {
      ...shared,
      REDIS_URL: redisUrl(),
      PM_REDIS_KEY_PREFIX: `pme2e:${tag}:`,
    });
    children.push(keyManagement);
    const envelopeProcessor = await spawn('envelope-processor', 'envelope-processor', {
      ...shared,
      NATS_URL: natsUrl(),
      PM_NATS_STREAM_PREFIX: streamPrefix,
      PM_NATS_SUBJECT_PREFIX: `pme2e.${tag}`,
      PM_KEY_MANAGEMENT_ADDRESS: addressOf(keyManagement),
      PM_SERVICE_CREDENTIAL: operator.credential,
    });
    children.push(envelopeProcessor);
    const auditKeyFile = join(dataDir, 'audit-key.json');
    createAuditKeyFile(auditKeyFile);
    const governance = await spawn('governance', 'governance', {
      ...shared,
      NATS_URL: natsUrl(),
      REDIS_URL: redisUrl(),
      PM_REDIS_KEY_PREFIX: `pme2e:${tag}:`,
      PM_AUDIT_KEY_FILE: auditKeyFile,
      PM_KEY_MANAGEMENT_ADDRESS: addressOf(keyManagement),
      PM_SERVICE_CREDENTIAL: operator.credential,
    });
    children.push(governance);
    const ops = new KeyManagementClient(addressOf(keyManagement), nativeProvider, {
      operatorCredential: operator.credential,
    });
    return {
      mode: 'distributed',
      keyManagementAddress: addressOf(keyManagement),
      envelopeProcessorAddress: addressOf(envelopeProcessor),
      governanceAddress: addressOf(governance),
      operatorAuthorization: `Operator ${operator.credential}`,
      ackWaitMs: Number(TIMING.PM_ACK_WAIT_MS),
      async enrollmentFor(agentId) {
        const { credential } = await ops.call('issueEnrollmentCredential', {
          agentId,
          ttlSeconds: 600,
        });
        return credential;
      },
      output: () => children.map((child) => child.output()).join('\n'),
      async close() {
        ops.close();
        await cleanup();
      },
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}
