/**
 * The channel service with everything it works with, in process, in either mode:
 *
 * - embedded: the platform (key management, envelope processor and channels on one port, one
 *   data folder, node:sqlite, open registration from loopback);
 * - distributed: key management on PostgreSQL + Redis (the service harness), the envelope
 *   processor and the channel service on the machine's NATS JetStream (streams with a prefix of
 *   their own) and PostgreSQL (a schema of their own).
 *
 * Agents get their keys and clients from `agent()`; `queue` is the queue the fanout writes to,
 * for checks the SDK cannot make (how many copies one member holds).
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AgentClient,
  AgentKeys,
  ChannelClient,
  type InvalidDelivery,
  MemoryKeyStore,
} from '@proof-messenger/client-sdk';
import { type CryptoProvider, nativeProvider } from '@proof-messenger/crypto';
import {
  createEnvelopeProcessorServer,
  type EnvelopeProcessorServer,
  loadConfig as loadEpConfig,
} from '@proof-messenger/envelope-processor';
import type { Governance } from '@proof-messenger/governance';
import type { MessageQueue } from '@proof-messenger/queue';
import { deleteStreams, natsUrl } from '@proof-messenger/queue/testing';
import { silentLogger } from '@proof-messenger/rpc';
import { openPostgresDatabase } from '@proof-messenger/storage';
import { postgresUrl } from '@proof-messenger/storage/testing';
import { type Harness, startHarness } from '../../key-management/test/service-harness.ts';
import { createPlatform, loadPlatformConfig, type Platform } from '../../platform/src/index.ts';
import { type ChannelServer, createChannelServer } from '../src/channel-server.ts';
import { loadConfig } from '../src/config.ts';

export type Mode = 'embedded' | 'distributed';

export interface ChannelAgent {
  readonly id: string;
  readonly keys: AgentKeys;
  readonly keyStore: MemoryKeyStore;
  readonly messages: AgentClient;
  readonly channels: ChannelClient;
  readonly invalid: InvalidDelivery[];
}

export interface ChannelHarness {
  readonly mode: Mode;
  readonly queue: MessageQueue;
  /** The channel service's policy engine, rate limiter and audit log. */
  readonly governance: Governance;
  /** `host:port` of the channel service. */
  readonly channelAddress: string;
  /** A registered agent with prekeys (`prekeys: false` skips them, for many quick members). */
  agent(
    name: string,
    options?: { provider?: CryptoProvider; prekeys?: boolean },
  ): Promise<ChannelAgent>;
  close(): Promise<void>;
}

const TIMING = {
  PM_KEY_CACHE_TTL_MS: '0',
  PM_ACK_WAIT_MS: '2000',
  PM_REDELIVERY_BACKOFF_MS: '100',
};

/** `env` adds settings for every service (e.g. PM_RATE_LIMITS). */
export async function startChannelHarness(
  mode: Mode,
  env: Readonly<Record<string, string>> = {},
): Promise<ChannelHarness> {
  const dataDir = mkdtempSync(join(tmpdir(), 'pm-channel-'));
  const agents: ChannelAgent[] = [];
  let addresses: { keyManagement: string; envelopeProcessor: string; channel: string };
  let queue: MessageQueue;
  let governance: Governance;
  let stop: () => Promise<void>;

  if (mode === 'embedded') {
    const platform: Platform = await createPlatform(
      loadPlatformConfig({ PM_DATA_DIR: dataDir, PM_GRPC_PORT: '0', ...TIMING, ...env }),
      { provider: nativeProvider, log: silentLogger },
    );
    const address = `127.0.0.1:${await platform.start()}`;
    addresses = { keyManagement: address, envelopeProcessor: address, channel: address };
    queue = platform.envelopeProcessor.context.queue;
    governance = platform.channel.context.governance;
    stop = () => platform.destroy();
  } else {
    const unique = randomUUID().replaceAll('-', '').slice(0, 12);
    const schema = `pm_ch_${unique}`;
    const streamPrefix = `PMT_CH_${unique}_`;
    const shared = {
      NATS_URL: natsUrl(),
      PM_NATS_STREAM_PREFIX: streamPrefix,
      PM_NATS_SUBJECT_PREFIX: `pmt_ch_${unique}`,
      DATABASE_URL: postgresUrl(),
      PM_DATABASE_SCHEMA: schema,
      PM_GRPC_PORT: '0',
      PM_DATA_DIR: dataDir,
      ...TIMING,
      ...env,
    };
    const kms: Harness = await startHarness('distributed', { PM_OPEN_REGISTRATION: 'loopback' });
    const ep: EnvelopeProcessorServer = await createEnvelopeProcessorServer(
      loadEpConfig({ ...shared, ...kms.peerEnv() }),
      { provider: nativeProvider, log: silentLogger },
    );
    const epAddress = `127.0.0.1:${await ep.start()}`;
    const channel: ChannelServer = await createChannelServer(
      loadConfig({ ...shared, ...kms.peerEnv() }),
      {
        provider: nativeProvider,
        log: silentLogger,
      },
    );
    addresses = {
      keyManagement: kms.address,
      envelopeProcessor: epAddress,
      channel: `127.0.0.1:${await channel.start()}`,
    };
    queue = ep.context.queue;
    governance = channel.module.context.governance;
    stop = async () => {
      await channel.destroy();
      await ep.destroy();
      await kms.close();
      await deleteStreams(natsUrl(), streamPrefix);
      const db = await openPostgresDatabase({ connectionString: postgresUrl() });
      await db.execute(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await db.close();
    };
  }

  return {
    mode,
    queue,
    governance,
    channelAddress: addresses.channel,
    async agent(name, options = {}) {
      const provider = options.provider ?? nativeProvider;
      const id = `${name}-${randomUUID().slice(0, 8)}`;
      const keyStore = new MemoryKeyStore({ provider });
      const keys = await AgentKeys.open({
        address: addresses.keyManagement,
        agentId: id,
        keyStore,
        provider,
        prekeys: { lowWater: 1, target: 2 },
      });
      await keys.register(); // open registration from loopback, in both modes
      if (options.prekeys !== false) await keys.ensurePrekeys();
      const invalid: InvalidDelivery[] = [];
      const made: ChannelAgent = {
        id,
        keys,
        keyStore,
        messages: AgentClient.create({
          keys,
          address: addresses.envelopeProcessor,
          provider,
          onInvalid: (delivery) => invalid.push(delivery),
        }),
        channels: ChannelClient.create({ keys, address: addresses.channel, provider }),
        invalid,
      };
      agents.push(made);
      return made;
    },
    async close() {
      for (const agent of agents) {
        agent.messages.close();
        agent.channels.close();
        agent.keys.close();
      }
      await stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
