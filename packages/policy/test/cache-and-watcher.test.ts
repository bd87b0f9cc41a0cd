/**
 * Decision caching and invalidation: hits are counted and marked, a new version empties the
 * cache, and a second instance (its own store object and connection pool on the same
 * PostgreSQL schema) follows a policy change within its poll interval, or at once through Redis
 * pub/sub. Everything is asserted through decisions.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { openRedis, type RedisClient } from '@proof-messenger/storage';
import { redisUrl, requireServices } from '@proof-messenger/storage/testing';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type AuthorizationRequest,
  CedarAuthorizer,
  loadDefaultPolicy,
  PolicyAdministration,
  PolicyWatcher,
  SqlPolicyStore,
} from '../src/index.ts';
import { type OpenedBackend, postgresBackend, sqliteBackend } from './backends.ts';
import { agent, sendContext } from './support.ts';

const NO_CLEARTEXT = `${loadDefaultPolicy()}
@id("no-cleartext")
forbid (principal, action == ProofMessenger::Action::"SendMessage", resource)
when { context.cleartext };
`;

const cleartextSend: AuthorizationRequest = {
  principal: agent('alice'),
  action: 'SendMessage',
  resource: agent('bob'),
  context: sendContext({ cleartext: true }),
};

/** Waits until `check` holds, polling every 10 ms; the time it took. */
async function within(ms: number, check: () => Promise<boolean>): Promise<number> {
  const start = Date.now();
  while (!(await check())) {
    if (Date.now() - start > ms) throw new Error(`not within ${ms} ms`);
    await sleep(10);
  }
  return Date.now() - start;
}

describe('decision cache', () => {
  it('counts hits, keys on what the policies read, and is emptied by a new version', async () => {
    const authorizer = new CedarAuthorizer();
    authorizer.use({ version: 1, text: loadDefaultPolicy() });
    const first = await authorizer.authorize(cleartextSend);
    expect(first).toEqual({
      allowed: true,
      policyVersion: 1,
      reasons: ['send-any'],
      errors: [],
      cached: false,
    });
    expect(await authorizer.authorize(cleartextSend)).toEqual({ ...first, cached: true });
    // The default policy reads no context: another size or mode is the same decision.
    expect(
      await authorizer.authorize({ ...cleartextSend, context: sendContext({ sizeBytes: 7 }) }),
    ).toEqual({ ...first, cached: true });
    // Another recipient is another request.
    expect(
      (await authorizer.authorize({ ...cleartextSend, resource: agent('carol') })).cached,
    ).toBe(false);
    expect(authorizer.stats()).toMatchObject({ decisions: 4, cacheHits: 2, cacheEntries: 2 });

    authorizer.use({ version: 2, text: NO_CLEARTEXT });
    expect(authorizer.stats().cacheEntries).toBe(0);
    expect(await authorizer.authorize(cleartextSend)).toEqual({
      allowed: false,
      policyVersion: 2,
      reasons: ['no-cleartext'],
      errors: [],
      cached: false,
    });
    expect((await authorizer.authorize(cleartextSend)).cached).toBe(true);
    // Version 2 reads context.cleartext: a send that differs in it is decided anew, and allowed.
    expect(await authorizer.authorize({ ...cleartextSend, context: sendContext() })).toEqual({
      allowed: true,
      policyVersion: 2,
      reasons: ['send-any'],
      errors: [],
      cached: false,
    });
    expect(authorizer.stats()).toMatchObject({ decisions: 7, cacheHits: 3, denies: 2 });
  });

  it('keys a partition on the attributes its own policies read', async () => {
    const SIZE_LIMIT_FOR_SVC = `${loadDefaultPolicy()}
@id("svc-size-limit")
forbid (principal, action == ProofMessenger::Action::"SendMessage", resource == ProofMessenger::Agent::"svc")
when { context.sizeBytes > 1000 };
`;
    for (const partitionPolicies of [true, false]) {
      const authorizer = new CedarAuthorizer({ partitionPolicies });
      authorizer.use({ version: 1, text: SIZE_LIMIT_FOR_SVC });
      const send = (to: string, sizeBytes: number) =>
        authorizer.authorize({
          principal: agent('alice'),
          action: 'SendMessage',
          resource: agent(to),
          context: sendContext({ sizeBytes }),
        });
      expect(await send('svc', 500)).toMatchObject({ allowed: true, cached: false });
      expect(await send('svc', 5000)).toMatchObject({
        allowed: false,
        reasons: ['svc-size-limit'],
        cached: false,
      });
      expect(await send('svc', 500)).toMatchObject({ allowed: true, cached: true });
      expect(await send('bob', 500)).toMatchObject({ allowed: true, cached: false });
      // Only a partitioned authorizer knows that no policy deciding sends to bob reads the size.
      expect(await send('bob', 5000)).toMatchObject({ allowed: true, cached: partitionPolicies });
    }
  });

  it('keeps at most cacheSize entries, and none with cacheSize 0', async () => {
    const small = new CedarAuthorizer({ cacheSize: 2 });
    const none = new CedarAuthorizer({ cacheSize: 0 });
    for (const a of [small, none]) a.use({ version: 1, text: loadDefaultPolicy() });
    for (const to of ['b1', 'b2', 'b3', 'b1']) {
      await small.authorize({ ...cleartextSend, resource: agent(to) });
      await none.authorize(cleartextSend);
    }
    expect(small.stats()).toMatchObject({ cacheEntries: 2, cacheHits: 0 });
    expect(none.stats()).toMatchObject({ cacheEntries: 0, cacheHits: 0 });
  });
});

describe('embedded: in-process notification', () => {
  let backend: OpenedBackend | undefined;
  afterEach(async () => backend?.close());

  it('reloads as soon as the administration of the same process publishes', async () => {
    backend = await sqliteBackend();
    const store = new SqlPolicyStore(backend.dbs[0]);
    const admin = new PolicyAdministration({ store });
    await admin.initialize();
    const authorizer = new CedarAuthorizer();
    const watcher = new PolicyWatcher({
      store,
      authorizer,
      pollIntervalMs: 60_000,
      changes: admin,
    });
    await watcher.start();
    expect((await authorizer.authorize(cleartextSend)).allowed).toBe(true);
    await admin.publish(NO_CLEARTEXT, { author: 'operator:alice' });
    await within(500, async () => !(await authorizer.authorize(cleartextSend)).allowed);
    await watcher.stop();
  });
});

const services = await requireServices(['postgres', 'redis']);
if (!services.available) console.warn(`skipping cross-instance policy tests: ${services.reason}`);

describe.skipIf(!services.available)('two instances on PostgreSQL', () => {
  let backend: OpenedBackend | undefined;
  const cleanup: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
    await backend?.close();
  });

  async function instances(options: { pollIntervalMs: number; redis: boolean }) {
    backend = await postgresBackend();
    let redisA: RedisClient | undefined;
    let redisB: RedisClient | undefined;
    if (options.redis) {
      redisA = await openRedis(redisUrl());
      redisB = await openRedis(redisUrl());
      cleanup.push(
        () => redisA?.disconnect(),
        () => redisB?.disconnect(),
      );
    }
    const channel = `proof-messenger:policy-changed:test:${Math.random().toString(36).slice(2)}`;
    // Instance A: administers, with its own watcher.
    const storeA = new SqlPolicyStore(backend.dbs[0]);
    const admin = new PolicyAdministration({ store: storeA, redis: redisA, channel });
    await admin.initialize();
    // Instance B: a separate store object on a separate pool, same schema.
    const storeB = new SqlPolicyStore(backend.dbs[1]);
    const authorizerB = new CedarAuthorizer();
    const watcherB = new PolicyWatcher({
      store: storeB,
      authorizer: authorizerB,
      pollIntervalMs: options.pollIntervalMs,
      redis: redisB,
      channel,
    });
    await watcherB.start();
    cleanup.push(() => watcherB.stop());
    return { admin, authorizerB };
  }

  it('the second instance follows a change within its poll interval (no Redis)', async () => {
    const { admin, authorizerB } = await instances({ pollIntervalMs: 200, redis: false });
    expect(await authorizerB.authorize(cleartextSend)).toMatchObject({
      allowed: true,
      policyVersion: 1,
    });
    expect((await authorizerB.authorize(cleartextSend)).cached).toBe(true);
    await admin.publish(NO_CLEARTEXT, { author: 'operator:alice' });
    await within(200 + 300, async () => !(await authorizerB.authorize(cleartextSend)).allowed);
    expect(await authorizerB.authorize(cleartextSend)).toMatchObject({
      allowed: false,
      policyVersion: 2,
      reasons: ['no-cleartext'],
    });
    await admin.activate(1, 'operator:bob', 'roll back');
    await within(200 + 300, async () => (await authorizerB.authorize(cleartextSend)).allowed);
  });

  it('the second instance follows a change at once through Redis pub/sub', async () => {
    // A poll interval far beyond the test: only the announcement can explain a quick reload.
    const { admin, authorizerB } = await instances({ pollIntervalMs: 60_000, redis: true });
    expect((await authorizerB.authorize(cleartextSend)).allowed).toBe(true);
    await admin.publish(NO_CLEARTEXT, { author: 'operator:alice' });
    const took = await within(
      1000,
      async () => !(await authorizerB.authorize(cleartextSend)).allowed,
    );
    expect(took).toBeLessThan(1000);
    await admin.activate(1, 'operator:bob');
    await within(1000, async () => (await authorizerB.authorize(cleartextSend)).allowed);
    expect(await authorizerB.authorize(cleartextSend)).toMatchObject({
      policyVersion: 1,
      allowed: true,
      reasons: ['send-any'],
    });
  });
});
