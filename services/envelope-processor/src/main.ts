/**
 * Runs the envelope processor: reads configuration from the environment, starts, and shuts down
 * cleanly on SIGTERM / SIGINT (in-flight calls drain). See config.ts for the variables.
 * `--migrate` only creates or migrates the storage (tables, streams) and exits.
 */
import { runService } from '@proof-messenger/rpc';
import { loadConfig } from './config.ts';
import { createEnvelopeProcessorServer } from './envelope-processor-server.ts';

await runService('envelope-processor', async (log) => {
  const config = loadConfig();
  return { ...(await createEnvelopeProcessorServer(config, { log })), host: config.host };
});
