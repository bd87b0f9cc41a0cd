#!/usr/bin/env node
/**
 * The `proof-messenger` executable (Node 24 runs it as TypeScript): runs the CLI on the process's
 * arguments, with Ctrl-C / SIGTERM as the abort signal of long-running commands (a second Ctrl-C
 * exits at once), and exits with the CLI's code.
 */
import { buffer } from 'node:stream/consumers';
import { runCli } from './run-cli.ts';

const controller = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (controller.signal.aborted && signal === 'SIGINT') process.exit(130);
    controller.abort();
  });
}

const code = await runCli(process.argv.slice(2), {
  env: process.env,
  stdout: (chunk) => process.stdout.write(chunk),
  stderr: (chunk) => process.stderr.write(chunk),
  readStdin: async () => new Uint8Array(await buffer(process.stdin)),
  signal: controller.signal,
});
// Flush what was written before exiting (stdout may be a pipe).
process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
