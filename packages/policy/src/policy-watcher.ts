/**
 * Keeps a CedarAuthorizer on the active policy version, across instances. Three paths, all
 * ending in the same reload (read the pointer, load the text if the version differs):
 * - a poll of the store's active pointer every `pollIntervalMs` (default 1,000): the bound on
 *   how stale an instance can be when announcements are lost;
 * - Redis pub/sub on `proof-messenger:policy-changed` (distributed mode), for reloads within
 *   milliseconds of a change on another instance;
 * - in-process announcements from a PolicyChangeSource (the embedded mode's PolicyAdministration).
 *
 * Reloads run one at a time. When the store cannot be read the authorizer keeps the version it
 * has (and logs): an outage of the policy database does not turn every decision into a denial,
 * but no instance can be moved to a version it cannot read.
 */
import type { RedisClient } from '@proof-messenger/storage';
import type { CedarAuthorizer } from './cedar-authorizer.ts';
import { POLICY_CHANGED_CHANNEL, type PolicyChangeSource } from './policy-change-source.ts';
import { type PolicyLogger, SILENT_POLICY_LOGGER } from './policy-logger.ts';
import type { PolicyStore } from './policy-store.ts';

/** Options of PolicyWatcher. */
export interface PolicyWatcherOptions {
  readonly store: PolicyStore;
  readonly authorizer: CedarAuthorizer;
  /** How often the active pointer is read (default 1,000 ms). */
  readonly pollIntervalMs?: number;
  /** Subscribe to change announcements (a duplicate connection is opened for it). */
  readonly redis?: RedisClient;
  /** Redis channel (default `proof-messenger:policy-changed`). */
  readonly channel?: string;
  /** In-process announcements (e.g. the PolicyAdministration of this process). */
  readonly changes?: PolicyChangeSource;
  readonly log?: PolicyLogger;
}

/** Reloads the authorizer's policy when the active version changes. */
export class PolicyWatcher {
  readonly #store: PolicyStore;
  readonly #authorizer: CedarAuthorizer;
  readonly #pollIntervalMs: number;
  readonly #redis: RedisClient | undefined;
  readonly #channel: string;
  readonly #changes: PolicyChangeSource | undefined;
  readonly #log: PolicyLogger;
  #timer: NodeJS.Timeout | undefined;
  #subscriber: RedisClient | undefined;
  #unsubscribe: (() => void) | undefined;
  #chain: Promise<number> = Promise.resolve(0);
  #stopped = false;

  /** @throws RangeError for a poll interval below 10 ms */
  constructor(options: PolicyWatcherOptions) {
    const pollIntervalMs = options.pollIntervalMs ?? 1000;
    if (!Number.isFinite(pollIntervalMs) || pollIntervalMs < 10) {
      throw new RangeError(`pollIntervalMs must be at least 10, got ${pollIntervalMs}`);
    }
    this.#store = options.store;
    this.#authorizer = options.authorizer;
    this.#pollIntervalMs = pollIntervalMs;
    this.#redis = options.redis;
    this.#channel = options.channel ?? POLICY_CHANGED_CHANNEL;
    this.#changes = options.changes;
    this.#log = options.log ?? SILENT_POLICY_LOGGER;
  }

  /**
   * Loads the active version, then starts polling and listening.
   * @throws whatever the store throws on the first read (a service should not start without
   *   knowing its policy)
   */
  async start(): Promise<void> {
    await this.#load();
    this.#timer = setInterval(() => void this.refresh(), this.#pollIntervalMs);
    this.#timer.unref();
    this.#unsubscribe = this.#changes?.onChange(() => void this.refresh());
    if (this.#redis !== undefined) {
      const subscriber = this.#redis.duplicate();
      subscriber.on('error', (err: unknown) => {
        this.#log.warn({ err }, 'policy change subscription: Redis error (polling continues)');
      });
      subscriber.on('message', (channel: string) => {
        if (channel === this.#channel) void this.refresh();
      });
      this.#subscriber = subscriber;
      await subscriber.subscribe(this.#channel);
    }
  }

  /**
   * Reloads now if the active version changed; resolves the version the authorizer then has.
   * Never rejects: failures are logged and the current version kept.
   */
  refresh(): Promise<number> {
    this.#chain = this.#chain.then(
      () => this.#load(),
      () => this.#load(),
    );
    return this.#chain.catch((err: unknown) => {
      this.#log.error({ err }, 'could not reload the authorization policy; keeping the loaded one');
      return this.#authorizer.policyVersion;
    });
  }

  /** Stops polling and listening. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#unsubscribe?.();
    if (this.#subscriber !== undefined) {
      this.#subscriber.disconnect();
      this.#subscriber = undefined;
    }
    await this.#chain.catch(() => undefined);
  }

  async #load(): Promise<number> {
    if (this.#stopped) return this.#authorizer.policyVersion;
    const pointer = await this.#store.active();
    if (pointer === undefined || pointer.version === this.#authorizer.policyVersion) {
      return this.#authorizer.policyVersion;
    }
    const record = await this.#store.get(pointer.version);
    if (record === undefined)
      throw new Error(`active policy version ${pointer.version} is missing`);
    this.#authorizer.use({ version: record.version, text: record.text });
    return record.version;
  }
}
