/**
 * `proof-messenger start`: the services and the embedded platform started by the CLI itself, as
 * child processes on port 0 with temp data folders, used by the CLI's own commands, and stopped
 * with SIGTERM (exit 0).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { newKeyStoreKey, runCli, spawnCli, waitForOutput } from './cli-harness.ts';

describe('proof-messenger start', () => {
  const dirs: string[] = [];
  const children: ReturnType<typeof spawnCli>[] = [];

  afterAll(() => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  function tempDir(): string {
    const dir = mkdtempSync(join(tmpdir(), 'pm-cli-start-'));
    dirs.push(dir);
    return dir;
  }

  async function started(args: string[], env: Record<string, string>, name: string) {
    const child = spawnCli(args, env);
    children.push(child);
    const [, port] = await waitForOutput(
      child,
      new RegExp(`${name} listening on 127\\.0\\.0\\.1:(\\d+)\\n`),
    );
    return { child, address: `127.0.0.1:${port}` };
  }

  it('runs key-management and the envelope processor as separate services the CLI then uses', async () => {
    const data = tempDir();
    const km = await started(
      ['start', 'key-management', '--port', '0', '--data-dir', data],
      {},
      'key-management',
    );
    const ep = await started(
      ['start', 'envelope-processor', '--port', '0', '--data-dir', data],
      { PM_KEY_MANAGEMENT_ADDRESS: km.address },
      'envelope-processor',
    );
    const env = {
      HOME: data,
      PM_ADDRESS: km.address,
      PM_ENVELOPE_PROCESSOR_ADDRESS: ep.address,
      PM_KEY_STORE: join(data, 'solo.keys'),
      PM_KEY_STORE_KEY: newKeyStoreKey(),
    };
    expect((await runCli(['agent', 'create', 'solo'], env)).code).toBe(0);
    expect((await runCli(['agent', 'register'], env)).code).toBe(0);
    expect((await runCli(['send', 'solo', 'note to self'], env)).code).toBe(0);
    const got = await runCli(['receive', '--json'], env);
    expect(got.code).toBe(0);
    expect(JSON.parse(got.stdout)).toMatchObject({ senderId: 'solo', text: 'note to self' });

    ep.child.kill('SIGTERM');
    km.child.kill('SIGTERM');
    expect((await ep.child.done).code).toBe(0);
    expect((await km.child.done).code).toBe(0);
  }, 90_000);

  it('runs the embedded platform on one port', async () => {
    const data = tempDir();
    const platform = await started(['start', '--port', '0', '--data-dir', data], {}, 'platform');
    const env = {
      HOME: data,
      PM_ADDRESS: platform.address,
      PM_KEY_STORE: join(data, 'uno.keys'),
      PM_KEY_STORE_KEY: newKeyStoreKey(),
    };
    expect((await runCli(['agent', 'create', 'uno'], env)).code).toBe(0);
    expect((await runCli(['agent', 'register'], env)).code).toBe(0);
    expect((await runCli(['send', 'uno', 'one port', '--priority', 'critical'], env)).code).toBe(0);
    const state = await runCli(
      ['queue', 'uno', '--json', '--operator-credential-file', join(data, 'operator.credential')],
      env,
    );
    expect(state.code).toBe(0);
    expect(JSON.parse(state.stdout)).toMatchObject({
      agentId: 'uno',
      ready: { critical: 1, high: 0, normal: 0, low: 0 },
      inFlight: 0,
    });
    platform.child.kill('SIGTERM');
    expect((await platform.child.done).code).toBe(0);
  }, 60_000);

  it('refuses an unknown service and a malformed port', async () => {
    expect(await runCli(['start', 'channel-router'], {})).toEqual({
      code: 2,
      stdout: '',
      stderr:
        'error: unknown service "channel-router": start platform (the default), key-management, envelope-processor, channel or governance\n(run `proof-messenger start --help` for usage)\n',
    });
    const bad = await runCli(
      ['start', 'key-management', '--port', 'x', '--data-dir', tempDir()],
      {},
    );
    expect(bad.code).toBe(1);
    expect(bad.stdout).toBe('');
    // A JSON log line for the operator's log collector, then the message for the terminal.
    const lines = bad.stderr.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(JSON.parse(lines[0] ?? '')).toMatchObject({
      level: 'error',
      name: 'key-management',
      message: 'key-management failed to start',
    });
    expect(lines[1]).toBe(
      'key-management failed to start: PM_GRPC_PORT must be an integer from 0 to 65535, got "x"',
    );
    // The channel service runs on its own only in distributed mode.
    const alone = await runCli(['start', 'channel', '--port', '0', '--data-dir', tempDir()], {});
    expect(alone.code).toBe(1);
    expect(alone.stderr.trim().split('\n').at(-1)).toBe(
      'channel failed to start: the channel service runs on its own only in distributed mode (NATS_URL and DATABASE_URL); in the embedded mode it runs inside the platform (npm start)',
    );
  });
});
