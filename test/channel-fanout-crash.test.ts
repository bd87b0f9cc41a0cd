/**
 * Channel fanout survives a crash of the channel service: 1,000 members subscribe to one channel
 * (distributed mode: key management and the envelope processor in this process on PostgreSQL,
 * Redis and NATS JetStream, the channel service as a real child process). A publication is
 * accepted, and the channel service is SIGKILLed while its fanout is part way through the member
 * list (slowed to one copy at a time so the kill lands mid-way; the test checks it did). After a
 * restart the fanout resumes from its saved cursor. Then every member's application — the SDK,
 * verifying and decrypting — receives the message exactly once, and no member's queue holds a
 * second copy.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import {
  AgentClient,
  AgentKeys,
  ChannelClient,
  MemoryKeyStore,
  type ReceivedMessage,
} from '@proof-messenger/client-sdk';
import { nativeProvider } from '@proof-messenger/crypto';
import {
  createEnvelopeProcessorServer,
  loadConfig as loadEpConfig,
} from '@proof-messenger/envelope-processor';
import { ChannelPolicy } from '@proof-messenger/proto';
import { deleteStreams, natsUrl, requireNats } from '@proof-messenger/queue/testing';
import { silentLogger } from '@proof-messenger/rpc';
import { openPostgresDatabase } from '@proof-messenger/storage';
import { postgresUrl, requireServices } from '@proof-messenger/storage/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { startHarness } from '../services/key-management/test/service-harness.ts';
import { ChildService } from './support/child-service.ts';
import { freePort } from './support/free-port.ts';

const MEMBERS = 1000;
const backends = await requireServices(['postgres', 'redis']);
const nats = await requireNats();
const skip = !backends.available ? backends.reason : nats.available ? '' : nats.reason;
if (skip !== '') console.warn(`skipping the channel fanout crash test: ${skip}`);

const CHANNEL_MAIN = fileURLToPath(new URL('../services/channel/src/main.ts', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../', import.meta.url));

describe.skipIf(skip !== '')('channel fanout across a crash of the channel service', () => {
  const unique = randomUUID().replaceAll('-', '').slice(0, 12);
  const schema = `pm_fan_${unique}`;
  const streamPrefix = `PMT_FAN_${unique}_`;
  const dataDir = mkdtempSync(join(tmpdir(), 'pm-fanout-'));
  const cleanups: (() => Promise<void> | void)[] = [];

  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
    await deleteStreams(natsUrl(), streamPrefix);
    const db = await openPostgresDatabase({ connectionString: postgresUrl() });
    await db.execute(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await db.close();
    rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  it(`delivers to each of ${MEMBERS} members exactly once after a crash mid-fanout`, async () => {
    const began = performance.now();
    const mark = (what: string) =>
      console.log(`[fanout-crash] ${((performance.now() - began) / 1000).toFixed(1)} s  ${what}`);
    const kms = await startHarness('distributed', { PM_OPEN_REGISTRATION: 'loopback' });
    cleanups.push(() => kms.close());
    const shared = {
      NATS_URL: natsUrl(),
      PM_NATS_STREAM_PREFIX: streamPrefix,
      PM_NATS_SUBJECT_PREFIX: `pmt_fan_${unique}`,
      DATABASE_URL: postgresUrl(),
      PM_DATABASE_SCHEMA: schema,
      PM_DATA_DIR: dataDir,
      PM_KEY_CACHE_TTL_MS: '0',
      ...kms.peerEnv(),
    };
    const ep = await createEnvelopeProcessorServer(loadEpConfig({ ...shared, PM_GRPC_PORT: '0' }), {
      provider: nativeProvider,
      log: silentLogger,
    });
    const epAddress = `127.0.0.1:${await ep.start()}`;
    cleanups.push(() => ep.destroy());
    const port = await freePort();
    const channelEnv = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      ...shared,
      PM_GRPC_PORT: String(port),
      // One copy at a time, so the fanout takes long enough to be killed half way.
      PM_FANOUT_CONCURRENCY: '1',
      PM_FANOUT_INTERVAL_MS: '200',
    };
    const startChannel = () =>
      ChildService.start({
        name: 'channel',
        command: process.execPath,
        args: [CHANNEL_MAIN],
        cwd: REPO_ROOT,
        env: channelEnv,
        ready: /^channel listening on (\S+):(\d+)$/,
        startTimeoutMs: 30_000,
      });
    let channel = await startChannel();
    cleanups.push(async () => {
      await channel.stop();
    });
    const channelAddress = `127.0.0.1:${port}`;

    const open = async (name: string) => {
      const keyStore = new MemoryKeyStore({ provider: nativeProvider });
      const keys = await AgentKeys.open({
        address: kms.address,
        agentId: name,
        keyStore,
        provider: nativeProvider,
      });
      await keys.register();
      cleanups.push(() => keys.close());
      return keys;
    };
    const ownerKeys = await open(`owner-${unique}`);
    const owner = ChannelClient.create({
      keys: ownerKeys,
      address: channelAddress,
      provider: nativeProvider,
    });
    cleanups.push(() => owner.close());
    const channelId = `fan-${unique}`;
    await owner.create({ channelId, policy: ChannelPolicy.OPEN });

    // Member ids sort in join order, so the fanout (agent-id order) reaches them in that order.
    const members: AgentKeys[] = [];
    for (let i = 0; i < MEMBERS; i += 25) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(25, MEMBERS - i) }, (_, j) =>
          open(`m-${unique}-${String(i + j).padStart(4, '0')}`),
        ),
      );
      for (const keys of batch) {
        const client = ChannelClient.create({
          keys,
          address: channelAddress,
          provider: nativeProvider,
        });
        await client.subscribe(channelId);
        client.close();
      }
      members.push(...batch);
    }
    mark(`${MEMBERS} members registered and subscribed`);
    const firstId = members[0]?.agentId ?? '';
    const lastId = members.at(-1)?.agentId ?? '';

    // Publishing sends the sender key (32 distributions) and then the message: 33 fanouts.
    const published = await owner.publish(channelId, 'to every member, once');
    expect(published.subscriberCount).toBe(MEMBERS);
    const message = published.messageId;
    // Wait until the message fanout has begun (the first member holds two copies: key + message).
    const deadline = Date.now() + 60_000;
    const held = async (agentId: string) => {
      const stats = await ep.context.queue.stats(agentId);
      return stats.ready.critical + stats.ready.normal + stats.inFlight;
    };
    while ((await held(firstId)) < 2 && Date.now() < deadline) await sleep(20);
    mark('message fanout under way; killing the channel service');
    const exit = await channel.kill();
    expect(exit.signal).toBe('SIGKILL');
    expect(await held(firstId)).toBe(2);
    expect(await held(lastId)).toBeLessThan(2); // it really was killed half way

    channel = await startChannel();
    mark('channel service restarted');
    while ((await held(lastId)) < 2 && Date.now() < deadline + 60_000) await sleep(100);

    mark('fanout complete');
    // Every member's application: exactly one message, the right one, verified and decrypted.
    const seen = new Map<string, number>();
    for (const keys of members) {
      const client = AgentClient.create({ keys, address: epAddress, provider: nativeProvider });
      const got: ReceivedMessage[] = [];
      // One poll takes what is there (the sender key and the message); a second finds nothing more.
      for (let round = 0; round < 2; round++) {
        for await (const item of client.receive({ once: true, waitMs: round === 0 ? 1000 : 0 })) {
          if (item.kind === 'message') got.push(item);
          await item.ack();
        }
      }
      client.close();
      for (const m of got) {
        expect(m.messageId).toBe(message);
        expect(m.text()).toBe('to every member, once');
      }
      seen.set(keys.agentId, got.length);
      expect(await held(keys.agentId)).toBe(0);
    }
    expect([...seen.values()].filter((n) => n !== 1)).toEqual([]);
    expect(seen.size).toBe(MEMBERS);
    mark('every member received the message once');
  }, 300_000);
});
