/**
 * Runs the governance service (distributed mode): reads configuration from the environment,
 * starts, and shuts down cleanly on SIGTERM / SIGINT. See config.ts and governance-config.ts for
 * the variables. `--migrate` only creates or migrates its tables and exits.
 */
import { runService } from '@proof-messenger/rpc';
import { loadConfig } from './config.ts';
import { createGovernanceServer } from './governance-server.ts';

await runService('governance', async (log) => {
  const config = loadConfig();
  return { ...(await createGovernanceServer(config, { log })), host: config.host };
});
