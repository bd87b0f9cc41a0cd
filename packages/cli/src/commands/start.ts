/**
 * `start [<service>]`: runs the embedded platform (every service on one port, state in the data
 * folder), or one service as its own process (what each `services/<name>/src/main.ts` runs), with
 * the same configuration variables. It prints `<name> listening on host:port` once it serves and
 * runs until SIGTERM or Ctrl-C, which drain calls in flight before it exits 0.
 *
 * The services are imported only here, so the other commands start without loading them.
 */
import { runService } from '@proof-messenger/rpc';
import { CliError } from '../cli-error.ts';
import type { Command, OptionValues } from '../command.ts';
import { ExitCode } from '../exit-code.ts';
import { optionString } from '../global-options.ts';

type Env = Record<string, string | undefined>;

const SERVICES = [
  'platform',
  'key-management',
  'envelope-processor',
  'channel',
  'governance',
] as const;
type Service = (typeof SERVICES)[number];

function environment(base: Readonly<Env>, values: OptionValues): Env {
  const env: Env = { ...base };
  const host = optionString(values, 'host');
  const port = optionString(values, 'port');
  const dataDir = optionString(values, 'data-dir');
  if (host !== undefined) env.PM_GRPC_HOST = host;
  if (port !== undefined) env.PM_GRPC_PORT = port;
  if (dataDir !== undefined) env.PM_DATA_DIR = dataDir;
  return env;
}

async function run(service: Service, env: Env): Promise<void> {
  if (service === 'key-management') {
    const { createKeyManagementServer, loadConfig } = await import(
      '@proof-messenger/key-management'
    );
    await runService(service, async (log) => {
      const config = loadConfig(env);
      return { ...(await createKeyManagementServer(config, { log })), host: config.host };
    });
  } else if (service === 'envelope-processor') {
    const { createEnvelopeProcessorServer, loadConfig } = await import(
      '@proof-messenger/envelope-processor'
    );
    await runService(service, async (log) => {
      const config = loadConfig(env);
      return { ...(await createEnvelopeProcessorServer(config, { log })), host: config.host };
    });
  } else if (service === 'channel') {
    const { createChannelServer, loadConfig } = await import('@proof-messenger/channel');
    await runService(service, async (log) => {
      const config = loadConfig(env);
      return { ...(await createChannelServer(config, { log })), host: config.host };
    });
  } else if (service === 'governance') {
    const { createGovernanceServer, loadConfig } = await import('@proof-messenger/governance');
    await runService(service, async (log) => {
      const config = loadConfig(env);
      return { ...(await createGovernanceServer(config, { log })), host: config.host };
    });
  } else {
    const { createPlatform, loadPlatformConfig } = await import('@proof-messenger/platform');
    await runService(service, async (log) => {
      const config = loadPlatformConfig(env);
      const platform = await createPlatform(config, { log });
      return {
        host: config.host,
        start: () => platform.start(),
        destroy: () => platform.destroy(),
      };
    });
  }
}

export const start: Command = {
  name: 'start',
  args: '[platform|key-management|envelope-processor|channel|governance]',
  arity: [0, 1],
  summary: 'run the embedded platform, or one service',
  description: `Runs the embedded platform (the default: key-management, the envelope processor and
channels on one port, 127.0.0.1:50051, state in PM_DATA_DIR, ./.data) or one service as its own
process, configured by the same environment variables as the services (see docs/key-management.md,
docs/envelope-processor.md, docs/channels.md and docs/audit-log.md; NATS_URL, DATABASE_URL and
REDIS_URL select the distributed mode of a single service; the channel service runs alone only in
distributed mode; the governance service (policies and the audit log, default port 50054) signs
checkpoints with the key in PM_AUDIT_KEY_FILE, see \`proof-messenger audit create-key\`). Prints "<name> listening on <host:port>" once it serves; SIGTERM or Ctrl-C stop it
cleanly. Logs are JSON lines on stderr.

Examples:
  proof-messenger start
  proof-messenger start key-management --port 50051
  PM_KEY_MANAGEMENT_ADDRESS=127.0.0.1:50051 proof-messenger start envelope-processor --port 50052
  PM_AUDIT_KEY_FILE=/secrets/audit-key.json proof-messenger start governance --port 50054`,
  options: {
    host: { type: 'string', value: '<host>', description: 'listen address (env PM_GRPC_HOST)' },
    port: {
      type: 'string',
      value: '<port>',
      description: 'listen port, 0 for any free one (env PM_GRPC_PORT)',
    },
    'data-dir': {
      type: 'string',
      value: '<dir>',
      description: 'embedded storage and generated secrets (env PM_DATA_DIR)',
    },
    migrate: {
      type: 'boolean',
      description: 'only create or migrate the storage, then exit',
    },
  },
  groups: [],
  async run({ io, positionals, values }) {
    const name = positionals[0] ?? 'platform';
    const service = SERVICES.find((candidate) => candidate === name);
    if (service === undefined) {
      throw new CliError(
        ExitCode.USAGE,
        `unknown service ${JSON.stringify(name)}: start platform (the default), key-management, envelope-processor, channel or governance`,
      );
    }
    await run(service, environment(io.env, values));
    // runService now serves until a signal, then exits the process itself.
    return new Promise<number>(() => {});
  },
};
