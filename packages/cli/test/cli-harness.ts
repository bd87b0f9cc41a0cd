/**
 * Runs the real `proof-messenger` executable as a child process (Node 24 type stripping, as users
 * run it) against services the test started: key-management through its service harness and the
 * envelope processor on port 0, embedded, each agent with a key store in a temp folder.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../bin/proof-messenger.js', import.meta.url));

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** A base64 key-store key (fast to open, unlike a passphrase). */
export function newKeyStoreKey(): string {
  return randomBytes(32).toString('base64');
}

/** Starts the CLI; the caller collects output through the returned child. */
export function spawnCli(
  args: readonly string[],
  env: Readonly<Record<string, string>>,
): ChildProcess & { output(): { stdout: string; stderr: string }; done: Promise<CliResult> } {
  const child = spawn(process.execPath, [CLI, ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const done = new Promise<CliResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
  return Object.assign(child, { output: () => ({ stdout, stderr }), done });
}

/** Runs the CLI to the end, with `stdin` as its standard input. */
export function runCli(
  args: readonly string[],
  env: Readonly<Record<string, string>>,
  stdin: Uint8Array | string = '',
): Promise<CliResult> {
  const child = spawnCli(args, env);
  child.stdin?.end(stdin);
  return child.done;
}

/** Resolves once the child's stdout (or stderr) matches `pattern`; rejects after `timeoutMs`. */
export async function waitForOutput(
  child: ReturnType<typeof spawnCli>,
  pattern: RegExp,
  timeoutMs = 20_000,
): Promise<RegExpMatchArray> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { stdout, stderr } = child.output();
    const match = stdout.match(pattern) ?? stderr.match(pattern);
    if (match !== null) return match;
    if (child.exitCode !== null || Date.now() > deadline) {
      throw new Error(`no ${pattern} in the output:\n${stdout}\n${stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
