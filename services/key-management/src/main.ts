/**
 * Runs the key-management service: reads configuration from the environment, starts, and shuts
 * down cleanly on SIGTERM / SIGINT. `--migrate` only creates or migrates its storage and exits.
 * See config.ts for the variables.
 */

import { jsonLogger } from '@proof-messenger/rpc';
import { loadConfig } from './config.ts';
import { createKeyManagementServer } from './key-management-server.ts';

const log = jsonLogger('key-management');
try {
  const server = await createKeyManagementServer(loadConfig(), { log });
  if (process.argv.includes('--migrate')) {
    // Creating the server created or migrated its tables (and streams): that is all --migrate does.
    await server.destroy();
    console.log('key-management: storage is created and migrated');
    process.exit(0);
  }
  const port = await server.start();
  console.log(`key-management listening on ${server.context.config.host}:${port}`);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    server.destroy().then(
      () => process.exit(0),
      (error: unknown) => {
        log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
} catch (error) {
  log.error({ err: error }, 'key-management failed to start');
  console.error(
    `key-management failed to start: ${error instanceof Error ? error.message : String(error)}`,
  );
  process.exit(1);
}
