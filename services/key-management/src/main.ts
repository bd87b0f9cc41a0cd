/**
 * Runs the key-management service: reads configuration from the environment, starts, and shuts
 * down cleanly on SIGTERM / SIGINT. `--migrate` only creates or migrates its storage and exits.
 * See config.ts for the variables.
 */
import { runService } from '@proof-messenger/rpc';
import { loadConfig } from './config.ts';
import { createKeyManagementServer } from './key-management-server.ts';

await runService('key-management', async (log) => {
  const config = loadConfig();
  return { ...(await createKeyManagementServer(config, { log })), host: config.host };
});
