/**
 * The envelope processor as a unit: `createEnvelopeProcessorServer(config)` builds its context
 * (queue, replay guard, key directory, authenticator, policy), `start()` listens and starts the
 * housekeeping, `destroy()` stops both and closes everything. `main.ts` only reads config.
 *
 * Embedded: queue and replay guard in one node:sqlite file in PM_DATA_DIR; secrets shared with
 * key-management through the same data folder. Distributed: NATS JetStream queue, PostgreSQL
 * replay guard (see docs/queues.md).
 */
import { join } from 'node:path';
import { AccessTokens, CallerAuthenticator, resolveServiceSecrets } from '@proof-messenger/auth';
import { type CryptoProvider, defaultProvider, WorkerVerifyPool } from '@proof-messenger/crypto';
import { grpcKeySource, KeyDirectory, type KeySource } from '@proof-messenger/key-directory';
import { EnvelopeProcessorService } from '@proof-messenger/proto';
import {
  DEFAULT_QUEUE_SETTINGS,
  type MessageQueue,
  type QueueSettings,
  SqliteMessageQueue,
} from '@proof-messenger/queue';
import { createGrpcServer, jsonLogger, type Logger } from '@proof-messenger/rpc';
import {
  migrate,
  openPostgresDatabase,
  openSqliteDatabase,
  type SqlDatabase,
} from '@proof-messenger/storage';
import type { EnvelopeProcessorConfig } from './config.ts';
import type { EnvelopeProcessorContext } from './context.ts';
import { DefaultSendPolicy } from './default-send-policy.ts';
import { envelopeProcessorImplementation } from './envelope-processor-service.ts';
import { Housekeeping } from './housekeeping.ts';
import type { SendPolicy } from './ports/send-policy.ts';
import { Readiness } from './readiness.ts';
import { envelopeProcessorMigrations } from './stores/envelope-processor-migrations.ts';
import { SqlReplayGuard } from './stores/sql-replay-guard.ts';

/** What tests may replace. */
export interface EnvelopeProcessorOverrides {
  readonly provider?: CryptoProvider;
  readonly now?: () => number;
  readonly log?: Logger;
  /** Where identity keys come from (default: key-management over gRPC). */
  readonly keySource?: KeySource;
  readonly policy?: SendPolicy;
  /** How often housekeeping runs (default 5 s; 0 = never, tests call runOnce). */
  readonly housekeepingIntervalMs?: number;
  /** How often dependencies are probed for readiness (default 2 s). */
  readonly readinessIntervalMs?: number;
}

export interface EnvelopeProcessorServer {
  readonly context: EnvelopeProcessorContext;
  readonly housekeeping: Housekeeping;
  readonly readiness: Readiness;
  start(): Promise<number>;
  destroy(): Promise<void>;
}

interface Storage {
  readonly queue: MessageQueue;
  readonly db: SqlDatabase;
  close(): Promise<void>;
}

async function openStorage(
  config: EnvelopeProcessorConfig,
  settings: QueueSettings,
): Promise<Storage> {
  if (config.natsUrl === undefined || config.databaseUrl === undefined) {
    const db = await openSqliteDatabase(join(config.dataDir, 'envelope-processor.sqlite'));
    await migrate(db, envelopeProcessorMigrations);
    const queue = await SqliteMessageQueue.open(db, { settings });
    return {
      queue,
      db,
      close: async () => {
        await queue.close();
        await db.close();
      },
    };
  }
  const { openJetStreamQueue } = await import('./jetstream-queue.ts');
  const db = await openPostgresDatabase({
    connectionString: config.databaseUrl,
    schema: config.databaseSchema,
  });
  await migrate(db, envelopeProcessorMigrations);
  const jetstream = await openJetStreamQueue(config.natsUrl, {
    settings,
    streamPrefix: config.natsStreamPrefix,
    subjectPrefix: config.natsSubjectPrefix,
  });
  return {
    queue: jetstream.queue,
    db,
    close: async () => {
      await jetstream.close();
      await db.close();
    },
  };
}

/** Builds the service for `config`; nothing listens until start(). */
export async function createEnvelopeProcessorServer(
  config: EnvelopeProcessorConfig,
  overrides: EnvelopeProcessorOverrides = {},
): Promise<EnvelopeProcessorServer> {
  const log = overrides.log ?? jsonLogger('envelope-processor');
  const now = overrides.now ?? Date.now;
  const baseProvider = overrides.provider ?? defaultProvider();
  // ML-DSA verification with a context blocks the calling thread in node:crypto: verify in workers.
  const pool =
    baseProvider.name === 'native' && config.verifyWorkers > 0
      ? new WorkerVerifyPool(config.verifyWorkers)
      : undefined;
  const provider = pool?.wrap(baseProvider) ?? baseProvider;
  const settings: QueueSettings = {
    ...DEFAULT_QUEUE_SETTINGS,
    partitions: config.partitions,
    ackWaitMs: config.ackWaitMs,
    maxDeliveries: config.maxDeliveries,
    backoffMs: config.redeliveryBackoffMs,
  };
  const storage = await openStorage(config, settings);
  const { tokenSecret, operators, localOperatorCredential } = resolveServiceSecrets({
    dataDir: config.dataDir,
    authTokenSecret: config.authTokenSecret,
    operatorCredentials: config.operatorCredentials,
    // Embedded: read keys with the local operator credential key-management generated.
    useLocalOperator: config.serviceCredential === undefined,
  });
  const serviceCredential = config.serviceCredential ?? localOperatorCredential ?? '';
  const remote =
    overrides.keySource === undefined
      ? grpcKeySource(config.keyManagementAddress, serviceCredential)
      : undefined;
  const directory = new KeyDirectory({
    provider,
    source: overrides.keySource ?? (remote?.source as KeySource),
    ttlMs: config.keyCacheTtlMs,
    now,
  });
  const authenticator = new CallerAuthenticator({
    tokens: new AccessTokens(tokenSecret),
    operators,
    now,
    isKeyActive: (agentId, keyId) => directory.isKeyActive(agentId, keyId),
  });
  const context: EnvelopeProcessorContext = {
    config,
    provider,
    queue: storage.queue,
    replay: new SqlReplayGuard(storage.db),
    policy: overrides.policy ?? new DefaultSendPolicy(directory),
    directory,
    authenticator,
    log,
    now,
  };
  const housekeeping = new Housekeeping(context, overrides.housekeepingIntervalMs ?? 5000);
  const server = createGrpcServer({
    services: [
      {
        service: EnvelopeProcessorService,
        implementation: envelopeProcessorImplementation(context),
      },
    ],
    log,
    // Room for the envelope plus framing; the handler answers RESOURCE_EXHAUSTED with the exact limit.
    maxReceiveMessageBytes: config.maxEnvelopeBytes + 64 * 1024,
  });
  const readiness = new Readiness(server.health, storage.db, storage.queue, log);
  let started = false;
  return {
    context,
    housekeeping,
    readiness,
    async start() {
      const port = await server.listen(config.host, config.port);
      started = true;
      await readiness.probe();
      readiness.start(overrides.readinessIntervalMs ?? 2000);
      housekeeping.start();
      log.info(
        {
          host: config.host,
          port,
          mode: config.natsUrl === undefined ? 'embedded' : 'distributed',
        },
        'envelope-processor listening',
      );
      return port;
    },
    async destroy() {
      readiness.stop();
      await housekeeping.stop();
      if (started) await server.shutdown();
      remote?.close();
      await storage.close();
      await pool?.close();
    },
  };
}
