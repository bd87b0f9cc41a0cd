/**
 * The envelope processor as a service module (see `ServiceModule` in @proof-messenger/rpc): its
 * context (queue, replay guard, key directory, authenticator, policy) and gRPC registration, with
 * housekeeping and the readiness probe as background work. `envelope-processor-server.ts` serves
 * it alone; the embedded platform serves it next to the other services on one port.
 *
 * Embedded: queue and replay guard in one node:sqlite file in PM_DATA_DIR; secrets shared with
 * key-management through the same data folder. Distributed: NATS JetStream queue, PostgreSQL
 * replay guard (see docs/queues.md).
 *
 * The send policy, rate limits and the audit log come from a Governance: the one the embedded
 * platform shares between its services (owned, started and closed by the platform), or one this
 * module opens from `config.governance` and starts and closes with itself.
 */
import { join } from 'node:path';
import { type CryptoProvider, defaultProvider, WorkerVerifyPool } from '@proof-messenger/crypto';
import { type Governance, openGovernance } from '@proof-messenger/governance';
import { type KeySource, peerAuthentication } from '@proof-messenger/key-directory';
import { EnvelopeProcessorService } from '@proof-messenger/proto';
import {
  DEFAULT_QUEUE_SETTINGS,
  type MessageQueue,
  type QueueSettings,
  SqliteMessageQueue,
} from '@proof-messenger/queue';
import { jsonLogger, type Logger, type ServiceModule } from '@proof-messenger/rpc';
import {
  migrate,
  openPostgresDatabase,
  openSqliteDatabase,
  type SqlDatabase,
} from '@proof-messenger/storage';
import type { EnvelopeProcessorConfig } from './config.ts';
import type { EnvelopeProcessorContext } from './context.ts';
import { envelopeProcessorImplementation } from './envelope-processor-service.ts';
import { Housekeeping } from './housekeeping.ts';
import { MessageAudit } from './message-audit.ts';
import { PolicySendPolicy } from './policy-send-policy.ts';
import type { ReplayGuard } from './ports/replay-guard.ts';
import type { SendPolicy } from './ports/send-policy.ts';
import { Readiness } from './readiness.ts';
import { BatchedReplayGuard } from './stores/batched-replay-guard.ts';
import { envelopeProcessorMigrations } from './stores/envelope-processor-migrations.ts';
import { SqlReplayGuard } from './stores/sql-replay-guard.ts';

/** What tests may replace. */
export interface EnvelopeProcessorOverrides {
  readonly provider?: CryptoProvider;
  readonly now?: () => number;
  readonly log?: Logger;
  /** Where identity keys come from (default: key-management over gRPC). */
  readonly keySource?: KeySource;
  /** Replaces the policy-engine send policy. */
  readonly policy?: SendPolicy;
  /** A Governance owned by the caller (the embedded platform's shared one): used, never closed. */
  readonly governance?: Governance;
  /** How often housekeeping runs (default: config.housekeepingIntervalMs; 0 = never, tests call runOnce). */
  readonly housekeepingIntervalMs?: number;
  /** How often dependencies are probed for readiness (default 2 s). */
  readonly readinessIntervalMs?: number;
}

/** The envelope processor, ready to be served. */
export interface EnvelopeProcessorModule extends ServiceModule {
  readonly context: EnvelopeProcessorContext;
  readonly housekeeping: Housekeeping;
  /** The policy engine, rate limiter and audit log the handlers use. */
  readonly governance: Governance;
  /** Set once started: the dependency probe that drives health. */
  readonly readiness: Readiness | undefined;
}

interface Storage {
  readonly queue: MessageQueue;
  readonly db: SqlDatabase;
  readonly replay: ReplayGuard;
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
      // One file with the queue: admitMessage writes both in one group-commit unit.
      replay: new SqlReplayGuard(db),
      close: async () => {
        await queue.close();
        await db.close();
      },
    };
  }
  const { openJetStreamQueue } = await import('@proof-messenger/queue/nats');
  const db = await openPostgresDatabase({
    connectionString: config.databaseUrl,
    schema: config.databaseSchema,
  });
  await migrate(db, envelopeProcessorMigrations);
  const jetstream = await openJetStreamQueue(config.natsUrl, {
    settings,
    streamPrefix: config.natsStreamPrefix,
    subjectPrefix: config.natsSubjectPrefix,
    name: 'envelope-processor',
  });
  return {
    queue: jetstream.queue,
    db,
    // Separate from the queue: concurrent sends share one statement per batch of writes.
    replay: new BatchedReplayGuard(db),
    close: async () => {
      await jetstream.close();
      await db.close();
    },
  };
}

/** Builds the envelope processor for `config` (storage opened and migrated); nothing is served yet. */
export async function createEnvelopeProcessorModule(
  config: EnvelopeProcessorConfig,
  overrides: EnvelopeProcessorOverrides = {},
): Promise<EnvelopeProcessorModule> {
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
  const owned = overrides.governance === undefined;
  let governance: Governance;
  let storage: Storage;
  try {
    governance =
      overrides.governance ??
      (await openGovernance(config.governance, { log, now, provider: baseProvider }));
  } catch (error) {
    await pool?.close();
    throw error;
  }
  try {
    storage = await openStorage(config, settings);
  } catch (error) {
    if (owned) await governance.close();
    await pool?.close();
    throw error;
  }
  const peers = peerAuthentication(config, provider, now, overrides.keySource);
  const { directory, authenticator } = peers;
  const context: EnvelopeProcessorContext = {
    config,
    provider,
    queue: storage.queue,
    replay: storage.replay,
    policy: overrides.policy ?? new PolicySendPolicy(directory, governance.authorizer),
    audit: new MessageAudit(governance.audit, baseProvider, now),
    rateLimiter: governance.rateLimiter,
    directory,
    authenticator,
    log,
    now,
  };
  const housekeeping = new Housekeeping(
    context,
    overrides.housekeepingIntervalMs ?? config.housekeepingIntervalMs,
  );
  let readiness: Readiness | undefined;
  return {
    name: 'envelope-processor',
    context,
    housekeeping,
    governance,
    get readiness() {
      return readiness;
    },
    services: [
      {
        service: EnvelopeProcessorService,
        implementation: envelopeProcessorImplementation(context),
      },
    ],
    // Room for the envelope plus framing; the handler answers RESOURCE_EXHAUSTED with the exact limit.
    maxReceiveMessageBytes: config.maxEnvelopeBytes + 64 * 1024,
    async start(health) {
      if (owned) await governance.start();
      readiness = new Readiness(health, storage.db, storage.queue, log);
      await readiness.probe();
      readiness.start(overrides.readinessIntervalMs ?? 2000);
      housekeeping.start();
    },
    async close() {
      readiness?.stop();
      await housekeeping.stop();
      peers.close();
      await storage.close();
      await pool?.close();
      // After the queue: the last events of calls that just finished are flushed by this close.
      if (owned) await governance.close();
    },
  };
}
