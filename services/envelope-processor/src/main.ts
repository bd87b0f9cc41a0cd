/**
 * Runs the envelope processor: reads configuration from the environment, starts, and shuts down
 * cleanly on SIGTERM / SIGINT (in-flight calls drain). See config.ts for the variables.
 * `--migrate` only creates or migrates the storage (tables, streams) and exits.
 */
import { jsonLogger } from '@proof-messenger/rpc';
import { loadConfig } from './config.ts';
import { createEnvelopeProcessorServer } from './envelope-processor-server.ts';

const log = jsonLogger('envelope-processor');
try {
  const server = await createEnvelopeProcessorServer(loadConfig(), { log });
  if (process.argv.includes('--migrate')) {
    // Creating the server created or migrated its tables (and streams): that is all --migrate does.
    await server.destroy();
    console.log('envelope-processor: storage is created and migrated');
    process.exit(0);
  }
  const port = await server.start();
  console.log(`envelope-processor listening on ${server.context.config.host}:${port}`);
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
  log.error({ err: error }, 'envelope-processor failed to start');
  console.error(
    `envelope-processor failed to start: ${error instanceof Error ? error.message : String(error)}`,
  );
  process.exit(1);
}
