/**
 * Runs the channel service (distributed mode): reads configuration from the environment, starts,
 * and shuts down cleanly on SIGTERM / SIGINT. See config.ts for the variables. `--migrate` only
 * creates or migrates its tables and exits.
 */
import { runService } from '@proof-messenger/rpc';
import { createChannelServer } from './channel-server.ts';
import { loadConfig } from './config.ts';

await runService('channel', async (log) => {
  const config = loadConfig();
  return { ...(await createChannelServer(config, { log })), host: config.host };
});
