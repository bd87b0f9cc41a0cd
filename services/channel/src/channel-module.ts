/**
 * The channel service as a service module (see `ServiceModule` in @proof-messenger/rpc): its
 * stores, the queue subscribers' copies go to, the key directory, the caller authenticator and
 * the fanout worker as its background work. Every decision goes to the policy engine, limits to
 * the rate limiter and events to the audit log of the Governance the platform shares (or that
 * this service opens for itself when it runs alone).
 *
 * Distributed (NATS_URL + DATABASE_URL): PostgreSQL for channels and publications, the NATS
 * JetStream queue the envelope processor serves receivers from. Embedded: only inside the
 * platform, which passes the envelope processor's queue and an in-process key source; channels
 * and publications go to `channel.sqlite` in the data folder.
 */
import { join } from 'node:path';
import { type CryptoProvider, defaultProvider } from '@proof-messenger/crypto';
import { InvalidArgumentError } from '@proof-messenger/errors';
import { type Governance, openGovernance } from '@proof-messenger/governance';
import { type KeySource, peerAuthentication } from '@proof-messenger/key-directory';
import { ChannelService } from '@proof-messenger/proto';
import { DEFAULT_QUEUE_SETTINGS, type MessageQueue } from '@proof-messenger/queue';
import { jsonLogger, type Logger, type ServiceModule } from '@proof-messenger/rpc';
import {
  migrate,
  openPostgresDatabase,
  openSqliteDatabase,
  type SqlDatabase,
} from '@proof-messenger/storage';
import { ChannelAudit } from './channel-audit.ts';
import { channelImplementation } from './channel-service.ts';
import type { ChannelConfig } from './config.ts';
import type { ChannelContext } from './context.ts';
import { Fanout } from './fanout.ts';
import { PolicyChannelPolicy } from './policy-channel-policy.ts';
import type { ChannelPolicy } from './ports/channel-policy.ts';
import { channelMigrations } from './stores/channel-migrations.ts';
import { SqlChannelStore } from './stores/sql-channel-store.ts';
import { SqlPublicationStore } from './stores/sql-publication-store.ts';

/** What the platform and tests may pass instead of what config would open. */
export interface ChannelOverrides {
  readonly provider?: CryptoProvider;
  readonly now?: () => number;
  readonly log?: Logger;
  readonly keySource?: KeySource;
  readonly policy?: ChannelPolicy;
  /** The queue to fan out into (the platform's, or a test's; closed by its owner, not here). */
  readonly queue?: MessageQueue;
  /** The platform's shared policy engine, rate limiter and audit log (closed by its owner). */
  readonly governance?: Governance;
}

export interface ChannelModule extends ServiceModule {
  readonly context: ChannelContext;
  readonly fanout: Fanout;
}

interface Storage {
  readonly db: SqlDatabase;
  readonly queue: MessageQueue;
  close(): Promise<void>;
}

async function openStorage(config: ChannelConfig, overrides: ChannelOverrides): Promise<Storage> {
  if (config.databaseUrl === undefined) {
    if (overrides.queue === undefined) {
      throw new InvalidArgumentError(
        'the channel service runs on its own only in distributed mode (NATS_URL and DATABASE_URL); in the embedded mode it runs inside the platform (npm start)',
      );
    }
    const db = await openSqliteDatabase(join(config.dataDir, 'channel.sqlite'));
    await migrate(db, channelMigrations);
    return { db, queue: overrides.queue, close: () => db.close() };
  }
  const db = await openPostgresDatabase({
    connectionString: config.databaseUrl,
    schema: config.databaseSchema,
  });
  await migrate(db, channelMigrations);
  if (overrides.queue !== undefined) {
    return { db, queue: overrides.queue, close: () => db.close() };
  }
  const { openJetStreamQueue } = await import('@proof-messenger/queue/nats');
  const jetstream = await openJetStreamQueue(config.natsUrl ?? '', {
    settings: { ...DEFAULT_QUEUE_SETTINGS, partitions: config.partitions },
    streamPrefix: config.natsStreamPrefix,
    subjectPrefix: config.natsSubjectPrefix,
    name: 'channel',
  });
  return {
    db,
    queue: jetstream.queue,
    close: async () => {
      await jetstream.close();
      await db.close();
    },
  };
}

/** Builds the channel service for `config`; nothing is served yet. */
export async function createChannelModule(
  config: ChannelConfig,
  overrides: ChannelOverrides = {},
): Promise<ChannelModule> {
  const log = overrides.log ?? jsonLogger('channel');
  const now = overrides.now ?? Date.now;
  const provider = overrides.provider ?? defaultProvider();
  const storage = await openStorage(config, overrides);
  const owned = overrides.governance === undefined;
  let governance: Governance;
  try {
    governance =
      overrides.governance ?? (await openGovernance(config.governance, { log, now, provider }));
  } catch (error) {
    await storage.close();
    throw error;
  }
  const peers = peerAuthentication(config, provider, now, overrides.keySource);
  const { directory, authenticator } = peers;
  let fanout: Fanout | undefined;
  const context: ChannelContext = {
    config,
    provider,
    channels: new SqlChannelStore(storage.db),
    publications: new SqlPublicationStore(storage.db),
    queue: storage.queue,
    policy: overrides.policy ?? new PolicyChannelPolicy(governance.authorizer),
    governance,
    audit: new ChannelAudit(governance.audit),
    directory,
    authenticator,
    log,
    now,
    kickFanout: () => fanout?.kick(),
  };
  fanout = new Fanout(context, config.fanoutIntervalMs);
  const worker = fanout;
  let pruner: NodeJS.Timeout | undefined;
  return {
    name: 'channel',
    context,
    fanout: worker,
    services: [{ service: ChannelService, implementation: channelImplementation(context) }],
    maxReceiveMessageBytes: config.maxMessageBytes + 64 * 1024,
    async start() {
      if (owned) await governance.start();
      worker.start();
      // Publications are the replay guard too: keep them a replay window past their expiry.
      pruner = setInterval(() => {
        context.publications
          .prune(now() - config.replayWindowMs)
          .catch((error: unknown) => log.error({ err: error }, 'pruning publications failed'));
      }, 60_000);
      pruner.unref();
    },
    async close() {
      clearInterval(pruner);
      await worker.stop();
      peers.close();
      await storage.close();
      if (owned) await governance.close();
    },
  };
}
