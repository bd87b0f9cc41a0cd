/**
 * The embedded platform: every service (key management, envelope processor, channels, governance) in one
 * process, on one gRPC port, over durable node:sqlite storage in one data folder. The services are the same modules the distributed deployment runs
 * one per process; here they share a server (one port, one health service, one reflection
 * service) and the envelope processor reads identity keys straight from key management's stores
 * instead of over gRPC.
 *
 * Start order matters: key management is built first because it creates the data folder's
 * secrets (token secret, local operator credential) that the other services then read.
 */
import { mkdirSync } from 'node:fs';
import { type ChannelModule, createChannelModule } from '@proof-messenger/channel';
import type { CryptoProvider } from '@proof-messenger/crypto';
import {
  createEnvelopeProcessorModule,
  type EnvelopeProcessorModule,
} from '@proof-messenger/envelope-processor';
import {
  createGovernanceModule,
  type Governance,
  type GovernanceModule,
  openGovernance,
} from '@proof-messenger/governance';
import {
  createKeyManagementModule,
  type KeyManagementModule,
  localKeyHistory,
} from '@proof-messenger/key-management';
import {
  createGrpcWebProxy,
  type GrpcWebProxy,
  hostModules,
  jsonLogger,
  type Logger,
  type ServiceModule,
} from '@proof-messenger/rpc';
import type { PlatformConfig } from './config.ts';

/** What tests and tools may replace. */
export interface PlatformOverrides {
  readonly provider?: CryptoProvider;
  readonly now?: () => number;
  readonly log?: Logger;
}

/** The running (or ready to run) platform. */
export interface Platform {
  readonly keyManagement: KeyManagementModule;
  readonly envelopeProcessor: EnvelopeProcessorModule;
  readonly channel: ChannelModule;
  readonly governance: GovernanceModule;
  /** Listens on config.host:config.port and starts every service; resolves to the bound port. */
  start(): Promise<number>;
  /** `http://host:port` of the gRPC-web gateway, once started with PM_GRPC_WEB_PORT set. */
  readonly grpcWebUrl: string | undefined;
  /** Drains calls in flight, stops background work, closes storage. Idempotent. */
  destroy(): Promise<void>;
}

/** Builds every service for `config` (storage created or migrated); nothing listens until start(). */
export async function createPlatform(
  config: PlatformConfig,
  overrides: PlatformOverrides = {},
): Promise<Platform> {
  const log = overrides.log ?? jsonLogger('platform');
  mkdirSync(config.dataDir, { recursive: true });
  const shared = {
    log,
    ...(overrides.provider === undefined ? {} : { provider: overrides.provider }),
    ...(overrides.now === undefined ? {} : { now: overrides.now }),
  };
  const modules: ServiceModule[] = [];
  let governance: Governance | undefined;
  try {
    // One policy engine, rate limiter and audit log for every hosted service.
    governance = await openGovernance(config.governance.governance, shared);
    const keyManagement = await createKeyManagementModule(config.keyManagement, {
      ...shared,
      governance,
    });
    modules.push(keyManagement);
    const envelopeProcessor = await createEnvelopeProcessorModule(config.envelopeProcessor, {
      ...shared,
      governance,
      keySource: localKeyHistory(keyManagement.context),
    });
    modules.push(envelopeProcessor);
    // Channel fanout goes into the envelope processor's queue, where subscribers receive from.
    const channel = await createChannelModule(config.channel, {
      ...shared,
      governance,
      keySource: localKeyHistory(keyManagement.context),
      queue: envelopeProcessor.context.queue,
    });
    modules.push(channel);
    const governanceModule = await createGovernanceModule(config.governance, {
      ...shared,
      governance,
      keySource: localKeyHistory(keyManagement.context),
    });
    modules.push(governanceModule);
    const owned = governance;
    const host = hostModules(modules, { host: config.host, port: config.port, log });
    let gateway: GrpcWebProxy | undefined;
    return {
      keyManagement,
      envelopeProcessor,
      channel,
      governance: governanceModule,
      get grpcWebUrl() {
        return gateway?.url;
      },
      async start() {
        await owned.start();
        const port = await host.start();
        if (config.grpcWeb !== undefined) {
          // Browsers reach the same services through it; the gateway calls them on this port.
          gateway = await createGrpcWebProxy({
            target: `${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`,
            host: config.grpcWeb.host,
            port: config.grpcWeb.port,
            allowedOrigins: config.grpcWeb.allowedOrigins,
          });
          log.info({ url: gateway.url }, 'gRPC-web gateway listening');
        }
        log.info(
          {
            host: config.host,
            port,
            dataDir: config.dataDir,
            services: modules.map((module) => module.name),
          },
          'platform listening',
        );
        return port;
      },
      async destroy() {
        await gateway?.close();
        await host.destroy();
        // After the services: their last audit events are flushed by this close.
        await owned.close();
      },
    };
  } catch (error) {
    for (const module of modules.reverse()) await module.close();
    await governance?.close();
    throw error;
  }
}
