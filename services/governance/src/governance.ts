/**
 * The governance every service process embeds: one policy engine (Cedar, kept on the active
 * policy version), one rate limiter, and one audit log writer. The embedded platform opens it
 * once and hands it to every service module; in the distributed mode each process opens its own
 * over the shared PostgreSQL tables and Redis, so decisions, limits and the log are the same
 * whichever instance answers.
 *
 * Storage: embedded, `audit.sqlite` (the log) and `policy.sqlite` (policy versions) in the data
 * folder, separate from the queue's file so audit writes never wait on queue commits; distributed,
 * one PostgreSQL pool for both. Only an instance with the audit key signs checkpoints.
 */
import { join } from 'node:path';
import {
  AuditRecorder,
  type AuditSink,
  AuditTrail,
  CheckpointScheduler,
  loadOrCreateAuditKey,
  MerkleHasher,
  readAuditKey,
  SqlAuditStore,
} from '@proof-messenger/audit-log';
import {
  type CompositeSigner,
  type CryptoProvider,
  defaultProvider,
} from '@proof-messenger/crypto';
import {
  type Authorizer,
  CedarAuthorizer,
  migratePolicyStore,
  PolicyAdministration,
  PolicyWatcher,
  SqlPolicyStore,
} from '@proof-messenger/policy';
import { createRateLimiter, type RateLimiter } from '@proof-messenger/rate-limit';
import type { Logger } from '@proof-messenger/rpc';
import {
  openPostgresDatabase,
  openRedis,
  openSqliteDatabase,
  type RedisClient,
  type SqlDatabase,
} from '@proof-messenger/storage';
import type { GovernanceConfig } from './governance-config.ts';

/** The policy engine, rate limiter and audit log of one process. */
export interface Governance {
  /** Where services record audit events (batched, never blocking the caller). */
  readonly audit: AuditSink;
  readonly recorder: AuditRecorder;
  readonly trail: AuditTrail;
  /** Decides every action; always on the active policy version. */
  readonly authorizer: Authorizer;
  readonly policies: PolicyAdministration;
  readonly rateLimiter: RateLimiter;
  readonly checkpointIntervalMs: number;
  /** Starts signing checkpoints (policy watching runs from open); idempotent. */
  start(): Promise<void>;
  /** Flushes the audit log, stops background work, closes storage. Idempotent. */
  close(): Promise<void>;
}

/** What tests and the platform may pass instead of what config would open. */
export interface GovernanceOverrides {
  readonly provider?: CryptoProvider;
  readonly now?: () => number;
  readonly log: Logger;
}

interface Databases {
  readonly audit: SqlDatabase;
  readonly policy: SqlDatabase;
  close(): Promise<void>;
}

async function openDatabases(config: GovernanceConfig): Promise<Databases> {
  if (config.databaseUrl === undefined) {
    const audit = await openSqliteDatabase(join(config.dataDir, 'audit.sqlite'));
    const policy = await openSqliteDatabase(join(config.dataDir, 'policy.sqlite')).catch(
      async (error: unknown) => {
        await audit.close();
        throw error;
      },
    );
    return {
      audit,
      policy,
      close: async () => {
        await audit.close();
        await policy.close();
      },
    };
  }
  const db = await openPostgresDatabase({
    connectionString: config.databaseUrl,
    schema: config.databaseSchema,
  });
  return { audit: db, policy: db, close: () => db.close() };
}

function auditKey(config: GovernanceConfig, provider: CryptoProvider): CompositeSigner | undefined {
  if (config.auditKeyFile === undefined) return undefined;
  return config.createAuditKey
    ? loadOrCreateAuditKey(config.auditKeyFile, provider)
    : readAuditKey(config.auditKeyFile, provider);
}

/**
 * Opens (creating or migrating storage) the governance of one process; the first start
 * publishes the shipped default policy as version 1.
 * @throws NotFoundError / InvalidArgumentError when PM_AUDIT_KEY_FILE is missing or malformed
 * @throws UnavailableError when PostgreSQL or Redis cannot be reached
 */
export async function openGovernance(
  config: GovernanceConfig,
  overrides: GovernanceOverrides,
): Promise<Governance> {
  const { log } = overrides;
  const provider = overrides.provider ?? defaultProvider();
  const now = overrides.now ?? Date.now;
  const signer = auditKey(config, provider);
  const dbs = await openDatabases(config);
  let redis: RedisClient | undefined;
  try {
    redis = config.redisUrl === undefined ? undefined : await openRedis(config.redisUrl);
    const store = await SqlAuditStore.open(dbs.audit, provider);
    const trail = new AuditTrail({
      store,
      hasher: new MerkleHasher(provider),
      ...(signer === undefined ? {} : { signer }),
      now,
    });
    const recorder = new AuditRecorder({
      trail,
      now,
      logger: log,
      flushIntervalMs: config.auditFlushIntervalMs,
    });
    await migratePolicyStore(dbs.policy);
    const policyChannel = `${config.redisKeyPrefix}policy-changed`;
    const policyStore = new SqlPolicyStore(dbs.policy);
    const policies = new PolicyAdministration({
      store: policyStore,
      audit: recorder,
      log,
      now,
      ...(redis === undefined ? {} : { redis, channel: policyChannel }),
    });
    await policies.initialize();
    const authorizer = new CedarAuthorizer({
      audit: recorder,
      log,
      failOpen: config.failOpen,
      decisionTimeoutMs: config.decisionTimeoutMs,
      cacheSize: config.decisionCacheSize,
    });
    const watcher = new PolicyWatcher({
      store: policyStore,
      authorizer,
      pollIntervalMs: config.policyPollIntervalMs,
      changes: policies,
      log,
      ...(redis === undefined ? {} : { redis, channel: policyChannel }),
    });
    // Loads the active version now: a service must not answer before it knows its policy.
    await watcher.start();
    if (config.failOpen) {
      log.warn({}, 'PM_POLICY_FAIL_OPEN=true: policy engine failures allow instead of deny');
      recorder.record({
        actor: 'service:governance',
        action: 'policy.fail_open',
        target: 'policy-engine',
        outcome: 'success',
        reason: 'PM_POLICY_FAIL_OPEN=true at start',
      });
    }
    const rateLimiter = createRateLimiter(config.rateLimits, {
      audit: recorder,
      keyPrefix: `${config.redisKeyPrefix}rate:`,
      ...(redis === undefined ? {} : { redis }),
      onRedisError: (error: unknown) =>
        log.warn({ err: error }, 'rate limits are enforced per instance until Redis answers'),
    });
    const checkpoints =
      signer === undefined
        ? undefined
        : new CheckpointScheduler({ trail, intervalMs: config.checkpointIntervalMs, logger: log });
    let started = false;
    let closed: Promise<void> | undefined;
    const client = redis;
    return {
      audit: recorder,
      recorder,
      trail,
      authorizer,
      policies,
      rateLimiter,
      checkpointIntervalMs: config.checkpointIntervalMs,
      async start() {
        if (started) return;
        started = true;
        checkpoints?.start();
      },
      close() {
        closed ??= (async () => {
          await watcher.stop();
          await checkpoints?.stop();
          await recorder.close();
          client?.disconnect();
          await dbs.close();
        })();
        return closed;
      },
    };
  } catch (error) {
    redis?.disconnect();
    await dbs.close();
    throw error;
  }
}
