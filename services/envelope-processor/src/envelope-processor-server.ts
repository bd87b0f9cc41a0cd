/**
 * The envelope processor as a process-sized unit: `createEnvelopeProcessorServer(config)` builds
 * the module (queue, replay guard, key directory, authenticator, governance) and a gRPC server for it
 * alone; `start()` listens and starts housekeeping and the readiness probe, `destroy()` drains
 * calls and closes everything. `main.ts` only reads config.
 */
import type { Governance } from '@proof-messenger/governance';
import { hostModules } from '@proof-messenger/rpc';
import type { EnvelopeProcessorConfig } from './config.ts';
import type { EnvelopeProcessorContext } from './context.ts';
import {
  createEnvelopeProcessorModule,
  type EnvelopeProcessorOverrides,
} from './envelope-processor-module.ts';
import type { Housekeeping } from './housekeeping.ts';

export interface EnvelopeProcessorServer {
  readonly context: EnvelopeProcessorContext;
  readonly housekeeping: Housekeeping;
  /** The policy engine, rate limiter and audit log (given in overrides, or opened and owned). */
  readonly governance: Governance;
  start(): Promise<number>;
  destroy(): Promise<void>;
}

/** Builds the service for `config`; nothing listens until start(). */
export async function createEnvelopeProcessorServer(
  config: EnvelopeProcessorConfig,
  overrides: EnvelopeProcessorOverrides = {},
): Promise<EnvelopeProcessorServer> {
  const module = await createEnvelopeProcessorModule(config, overrides);
  const log = module.context.log;
  const host = hostModules([module], { host: config.host, port: config.port, log });
  return {
    context: module.context,
    housekeeping: module.housekeeping,
    governance: module.governance,
    async start() {
      const port = await host.start();
      log.info(
        {
          host: config.host,
          port,
          mode: config.natsUrl === undefined ? 'embedded' : 'distributed',
        },
        'envelope-processor listening',
      );
      return port;
    },
    destroy: () => host.destroy(),
  };
}
