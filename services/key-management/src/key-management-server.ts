/**
 * The key-management service as a unit: `create(config)` builds its context (stores for the
 * configured mode, secrets, authenticator), `start()` listens and starts the rotation scheduler,
 * `destroy()` stops both and closes the stores. `main.ts` only reads config and calls these.
 *
 * Embedded mode (no DATABASE_URL): node:sqlite in PM_DATA_DIR, secrets generated into it.
 * Distributed mode: PostgreSQL for records, Redis for the identity cache and nonces.
 */
import { join } from 'node:path';
import { AccessTokens, CallerAuthenticator, resolveServiceSecrets } from '@proof-messenger/auth';
import { type CryptoProvider, defaultProvider } from '@proof-messenger/crypto';
import { KeyManagementService } from '@proof-messenger/proto';
import { createGrpcServer, jsonLogger } from '@proof-messenger/rpc';
import {
  migrate,
  openPostgresDatabase,
  openRedis,
  openSqliteDatabase,
  type SqlDatabase,
} from '@proof-messenger/storage';
import type { KeyManagementConfig } from './config.ts';
import type { KeyManagementContext, KeyManagementStores, Logger } from './context.ts';
import { keyManagementImplementation } from './key-management-service.ts';
import { RotationScheduler } from './rotation-scheduler.ts';
import {
  CachedIdentityStore,
  createSqlStores,
  keyManagementMigrations,
  RedisNonceStore,
  SqliteNonceStore,
} from './stores/index.ts';

/** What tests may replace. */
export interface KeyManagementOverrides {
  readonly provider?: CryptoProvider;
  readonly now?: () => number;
  readonly log?: Logger;
}

export interface KeyManagementServer {
  readonly context: KeyManagementContext;
  readonly scheduler: RotationScheduler;
  /** Listens on config.host:config.port (0 picks a free port); resolves to the bound port. */
  start(): Promise<number>;
  /** Stops serving (graceful, then forced), stops the scheduler, closes the stores. */
  destroy(): Promise<void>;
}

interface OpenedStores {
  readonly stores: KeyManagementStores;
  close(): Promise<void>;
}

async function openStores(config: KeyManagementConfig): Promise<OpenedStores> {
  if (config.databaseUrl === undefined) {
    const db = await openSqliteDatabase(join(config.dataDir, 'key-management.sqlite'));
    await migrate(db, keyManagementMigrations);
    return {
      stores: { ...createSqlStores(db), nonces: new SqliteNonceStore(db) },
      close: () => db.close(),
    };
  }
  if (config.redisUrl === undefined) {
    throw new Error(
      'REDIS_URL is required with DATABASE_URL (distributed mode caches identities and nonces in Redis)',
    );
  }
  const db: SqlDatabase = await openPostgresDatabase({
    connectionString: config.databaseUrl,
    schema: config.databaseSchema,
  });
  await migrate(db, keyManagementMigrations);
  const redis = await openRedis(config.redisUrl);
  const sql = createSqlStores(db);
  return {
    stores: {
      ...sql,
      identities: new CachedIdentityStore(sql.identities, redis, config.identityCacheTtlMs, {
        keyPrefix: `${config.redisKeyPrefix}identity:`,
      }),
      nonces: new RedisNonceStore(redis, { keyPrefix: `${config.redisKeyPrefix}nonce:` }),
    },
    close: async () => {
      await db.close();
      redis.disconnect();
    },
  };
}

/** Builds the service for `config`; nothing listens until start(). */
export async function createKeyManagementServer(
  config: KeyManagementConfig,
  overrides: KeyManagementOverrides = {},
): Promise<KeyManagementServer> {
  const log = overrides.log ?? jsonLogger('key-management');
  const now = overrides.now ?? Date.now;
  const opened = await openStores(config);
  const { tokenSecret, operators } = resolveServiceSecrets({
    dataDir: config.dataDir,
    authTokenSecret: config.authTokenSecret,
    operatorCredentials: config.operatorCredentials,
    // Distributed deployments name their operators explicitly; embedded generates a local one.
    useLocalOperator: config.operatorCredentials === undefined && config.databaseUrl === undefined,
  });
  const tokens = new AccessTokens(tokenSecret);
  const { stores } = opened;
  const authenticator = new CallerAuthenticator({
    tokens,
    operators,
    now,
    isKeyActive: async (agentId, keyId) => {
      const identity = await stores.identities.get(agentId);
      return identity !== undefined && !identity.revoked && identity.currentKey?.keyId === keyId;
    },
  });
  const context: KeyManagementContext = {
    config,
    provider: overrides.provider ?? defaultProvider(),
    stores,
    tokens,
    authenticator,
    log,
    now,
  };
  const scheduler = new RotationScheduler({
    stores,
    log,
    now,
    intervalMs: config.schedulerIntervalMs,
  });
  const server = createGrpcServer({
    services: [
      { service: KeyManagementService, implementation: keyManagementImplementation(context) },
    ],
    log,
    maxReceiveMessageBytes: config.maxRequestBytes,
  });
  let started = false;
  return {
    context,
    scheduler,
    async start() {
      const port = await server.listen(config.host, config.port);
      started = true;
      scheduler.start();
      log.info(
        {
          host: config.host,
          port,
          mode: config.databaseUrl === undefined ? 'embedded' : 'distributed',
        },
        'key-management listening',
      );
      return port;
    },
    async destroy() {
      await scheduler.stop();
      if (started) await server.shutdown();
      await opened.close();
    },
  };
}
