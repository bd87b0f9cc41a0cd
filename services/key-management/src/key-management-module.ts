/**
 * Key management as a service module (see `ServiceModule` in @proof-messenger/rpc): its stores for
 * the configured mode, secrets, authenticator and gRPC registration, with the rotation scheduler
 * as its background work. `key-management-server.ts` serves it alone; the embedded platform serves
 * it next to the other services on one port.
 *
 * Embedded mode (no DATABASE_URL): node:sqlite in PM_DATA_DIR, secrets generated into it.
 * Distributed mode: PostgreSQL for records, Redis for the identity cache and nonces.
 *
 * Authorization, rate limits and the audit log come from a Governance: the one the embedded
 * platform shares between its services (owned, started and closed by the platform), or one this
 * module opens from `config.governance` and starts and closes with itself.
 */
import { join } from 'node:path';
import { AccessTokens, CallerAuthenticator, resolveServiceSecrets } from '@proof-messenger/auth';
import { type CryptoProvider, defaultProvider } from '@proof-messenger/crypto';
import { type Governance, openGovernance } from '@proof-messenger/governance';
import { KeyManagementService, type KeyRecord } from '@proof-messenger/proto';
import { jsonLogger, type ServiceModule } from '@proof-messenger/rpc';
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
import { toKeyRecord } from './records.ts';
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
  /** A Governance owned by the caller (the embedded platform's shared one): used, never closed. */
  readonly governance?: Governance;
}

/** Key management, ready to be served. */
export interface KeyManagementModule extends ServiceModule {
  readonly context: KeyManagementContext;
  readonly scheduler: RotationScheduler;
  /** The policy engine, rate limiter and audit log the handlers use. */
  readonly governance: Governance;
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

/** Builds key management for `config` (stores opened and migrated); nothing is served yet. */
export async function createKeyManagementModule(
  config: KeyManagementConfig,
  overrides: KeyManagementOverrides = {},
): Promise<KeyManagementModule> {
  const log = overrides.log ?? jsonLogger('key-management');
  const now = overrides.now ?? Date.now;
  const provider = overrides.provider ?? defaultProvider();
  const owned = overrides.governance === undefined;
  const governance =
    overrides.governance ?? (await openGovernance(config.governance, { log, now, provider }));
  let opened: OpenedStores;
  try {
    opened = await openStores(config);
  } catch (error) {
    if (owned) await governance.close();
    throw error;
  }
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
    provider,
    stores,
    tokens,
    authenticator,
    audit: governance.audit,
    authorizer: governance.authorizer,
    rateLimiter: governance.rateLimiter,
    log,
    now,
  };
  const scheduler = new RotationScheduler({
    stores,
    audit: governance.audit,
    log,
    now,
    intervalMs: config.schedulerIntervalMs,
  });
  return {
    name: 'key-management',
    context,
    scheduler,
    governance,
    services: [
      { service: KeyManagementService, implementation: keyManagementImplementation(context) },
    ],
    maxReceiveMessageBytes: config.maxRequestBytes,
    async start() {
      if (owned) await governance.start();
      scheduler.start();
    },
    async close() {
      await scheduler.stop();
      await opened.close();
      // After the stores: the last events of calls that just finished are flushed by this close.
      if (owned) await governance.close();
    },
  };
}

/**
 * Identity key histories read straight from the stores: how services in the same process (the
 * embedded platform) learn keys without a gRPC round trip. Answers undefined for unknown agents.
 */
export function localKeyHistory(
  context: KeyManagementContext,
): (agentId: string) => Promise<readonly KeyRecord[] | undefined> {
  return async (agentId) => {
    const keys = await context.stores.identities.history(agentId);
    return keys.length === 0 ? undefined : keys.map(toKeyRecord);
  };
}
