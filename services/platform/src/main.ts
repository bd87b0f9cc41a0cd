/**
 * Runs the embedded platform: every service in one process on one gRPC port (default
 * 127.0.0.1:50051), state in PM_DATA_DIR (default ./.data). Stops cleanly on SIGTERM / SIGINT
 * (Ctrl-C): calls in flight drain, storage closes.
 *
 * `--demo` (what `npm start` runs) writes the service logs to `<data folder>/platform.log` instead
 * of the terminal, runs a short exchange between two agents against the platform, prints each step
 * with its timing, and keeps serving. `--migrate` only creates or migrates storage and exits.
 */
import { createWriteStream } from 'node:fs';
import { join, resolve } from 'node:path';
import { jsonLogger, runService } from '@proof-messenger/rpc';
import { loadPlatformConfig } from './config.ts';
import { runDemo } from './demo.ts';
import { createPlatform, type Platform } from './platform.ts';

const demo = process.argv.includes('--demo');
const started = performance.now();
let address = '';
let dataDir = '';
let running: Platform | undefined;

// The demo proves its request is in a signed checkpoint; sign every second so it need not wait 10 s.
if (demo) process.env.PM_AUDIT_CHECKPOINT_INTERVAL_MS ??= '1000';

await runService('platform', async (terminalLog) => {
  const config = loadPlatformConfig();
  dataDir = resolve(config.dataDir);
  const log = demo
    ? jsonLogger('platform', fileSink(join(config.dataDir, 'platform.log')))
    : terminalLog;
  const platform = await createPlatform(config, { log });
  running = platform;
  return {
    host: config.host,
    destroy: () => platform.destroy(),
    async start() {
      const port = await platform.start();
      address = `${config.host}:${port}`;
      return port;
    },
  };
});

if (demo) {
  const readyMs = performance.now() - started;
  console.log(`
Proof-Messenger embedded platform (node ${process.version}, OpenSSL ${process.versions.openssl})
  gRPC:     ${address}  (key-management, envelope-processor, channel, governance; health, reflection)
  crypto:   ML-DSA-65 + Ed25519 signatures, X-Wing (X25519 + ML-KEM-768) + AES-256-GCM
  policy:   Cedar policy engine (pm policy show); audit log: hash chain + signed Merkle checkpoints
  data:     ${dataDir}  (survives restarts; logs in platform.log)${
    running?.grpcWebUrl === undefined
      ? ''
      : `
  browsers: ${running.grpcWebUrl}  (gRPC-web gateway)`
  }
  ready in: ${readyMs.toFixed(0)} ms

Demo: two agents exchange end-to-end encrypted, hybrid-signed messages through it
`);
  try {
    const result = await runDemo({ address, dataDir });
    console.log(`
  ${result.returning ? 'Both agents were registered by an earlier run: the data folder survived the restart.' : 'Run `npm start` again: the agents and their keys are still there.'}
Serving on ${address} until Ctrl-C.`);
  } catch (error) {
    console.error(`demo failed: ${error instanceof Error ? error.message : String(error)}`);
    await running?.destroy();
    process.exit(1);
  }
}

function fileSink(path: string): (line: string) => void {
  const stream = createWriteStream(path, { flags: 'a', mode: 0o600 });
  return (line) => {
    stream.write(line);
  };
}
