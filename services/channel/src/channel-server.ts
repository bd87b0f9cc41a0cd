/**
 * The channel service as its own process (distributed mode): `createChannelServer(config)` builds
 * the module and a gRPC server for it alone; `start()` listens and starts the fanout (which first
 * resumes what an earlier process left unfinished), `destroy()` drains calls and closes everything.
 */
import { hostModules } from '@proof-messenger/rpc';
import {
  type ChannelModule,
  type ChannelOverrides,
  createChannelModule,
} from './channel-module.ts';
import type { ChannelConfig } from './config.ts';

export interface ChannelServer {
  readonly module: ChannelModule;
  start(): Promise<number>;
  destroy(): Promise<void>;
}

/** Builds the service for `config`; nothing listens until start(). */
export async function createChannelServer(
  config: ChannelConfig,
  overrides: ChannelOverrides = {},
): Promise<ChannelServer> {
  const module = await createChannelModule(config, overrides);
  const log = module.context.log;
  const host = hostModules([module], { host: config.host, port: config.port, log });
  return {
    module,
    async start() {
      const port = await host.start();
      log.info({ host: config.host, port }, 'channel listening');
      return port;
    },
    destroy: () => host.destroy(),
  };
}
