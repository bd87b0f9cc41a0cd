/**
 * The body of every service's `main.ts`: build the service, start it (or with `--migrate` only
 * create or migrate its storage and exit), print `<name> listening on host:port` (tools and tests
 * wait for that line), and stop cleanly on SIGTERM / SIGINT — calls in flight drain first.
 */
import { jsonLogger, type Logger } from './logger.ts';

/** What `runService` needs of a service. */
export interface RunnableService {
  /** Listens; resolves to the bound port. */
  start(): Promise<number>;
  /** Stops serving (draining calls) and closes everything. */
  destroy(): Promise<void>;
}

/**
 * Runs a service process.
 * @param create builds the service (its storage is created or migrated while it is built)
 * @param host the address printed with the port
 * @returns the bound port, once listening (the process then runs until a signal stops it)
 */
export async function runService(
  name: string,
  create: (log: Logger) => Promise<RunnableService & { readonly host: string }>,
): Promise<number> {
  const log = jsonLogger(name);
  try {
    const service = await create(log);
    if (process.argv.includes('--migrate')) {
      await service.destroy();
      console.log(`${name}: storage is created and migrated`);
      process.exit(0);
    }
    const port = await service.start();
    console.log(`${name} listening on ${service.host}:${port}`);
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      log.info({ signal }, 'shutting down');
      service.destroy().then(
        () => process.exit(0),
        (error: unknown) => {
          log.error({ err: error }, 'shutdown failed');
          process.exit(1);
        },
      );
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
    return port;
  } catch (error) {
    log.error({ err: error }, `${name} failed to start`);
    console.error(
      `${name} failed to start: ${error instanceof Error ? error.message : String(error)}`,
    );
    process.exit(1);
  }
}
