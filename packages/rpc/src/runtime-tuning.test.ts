/**
 * runtime-tuning.js: importing it restarts the process in place (same pid) with MALLOC_ARENA_MAX
 * and a capped young generation, unless the operator set them or turned it off. The plan is
 * checked as a function; the restart in fresh `node` processes, since it replaces the process.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runtimeTuningPlan, SEMI_SPACE_MIB } from './runtime-tuning-plan.js';

const MODULE = fileURLToPath(new URL('./runtime-tuning.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'pm-runtime-tuning-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Report {
  pid: number;
  execArgv: string[];
  args: string[];
  arenas: string | null;
}

/** Starts an entry that imports runtime-tuning.js; returns what the process that ran it reports. */
async function start(
  env: NodeJS.ProcessEnv,
  nodeArgs: string[] = [],
): Promise<{ spawnedPid: number; report: Report }> {
  const entry = join(dir, 'entry.mjs');
  writeFileSync(
    entry,
    `import ${JSON.stringify(MODULE)};
console.log(JSON.stringify({
  pid: process.pid,
  execArgv: process.execArgv,
  args: process.argv.slice(2),
  arenas: process.env.MALLOC_ARENA_MAX ?? null,
}));`,
  );
  const base: NodeJS.ProcessEnv = { ...process.env };
  delete base.MALLOC_ARENA_MAX;
  delete base.PM_RUNTIME_TUNING;
  delete base.NODE_OPTIONS;
  const child = spawn(process.execPath, [...nodeArgs, entry, 'a1', '--b'], {
    env: { ...base, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
  });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  expect(code).toBe(0);
  return { spawnedPid: child.pid ?? -1, report: JSON.parse(out) };
}

describe('runtimeTuningPlan', () => {
  const argv = ['/usr/bin/node', '/srv/bin/start.js', '--port', '1'];

  it('adds both settings, keeping the node flags before the script and its arguments after', () => {
    expect(runtimeTuningPlan({ execArgv: ['--inspect'], argv, env: { A: '1' } })).toEqual({
      args: [
        '/usr/bin/node',
        `--max-semi-space-size=${SEMI_SPACE_MIB}`,
        '--inspect',
        '/srv/bin/start.js',
        '--port',
        '1',
      ],
      env: { A: '1', MALLOC_ARENA_MAX: '2' },
    });
  });

  it("keeps the operator's young-generation flag, from the arguments or NODE_OPTIONS", () => {
    expect(
      runtimeTuningPlan({ execArgv: ['--max-semi-space-size=64'], argv, env: {} })?.args,
    ).toEqual(['/usr/bin/node', '--max-semi-space-size=64', '/srv/bin/start.js', '--port', '1']);
    expect(
      runtimeTuningPlan({
        execArgv: [],
        argv,
        env: { NODE_OPTIONS: '--trace-gc --max-young-generation-size=48' },
      })?.args,
    ).toEqual(['/usr/bin/node', '/srv/bin/start.js', '--port', '1']);
  });

  it("keeps the operator's MALLOC_ARENA_MAX", () => {
    expect(runtimeTuningPlan({ execArgv: [], argv, env: { MALLOC_ARENA_MAX: '8' } })?.env).toEqual({
      MALLOC_ARENA_MAX: '8',
    });
  });

  it('has nothing to do once both are set, or when turned off', () => {
    const tuned = { MALLOC_ARENA_MAX: '2' };
    expect(
      runtimeTuningPlan({ execArgv: ['--max-semi-space-size=16'], argv, env: tuned }),
    ).toBeUndefined();
    expect(runtimeTuningPlan({ execArgv: [], argv, env: { PM_RUNTIME_TUNING: 'off' } })).toBe(
      undefined,
    );
  });
});

describe('runtime-tuning.js, imported first by a process', () => {
  it('restarts it in place with both settings and the same arguments', async () => {
    const { spawnedPid, report } = await start({});
    expect(report.pid).toBe(spawnedPid);
    expect(report.execArgv).toEqual([`--max-semi-space-size=${SEMI_SPACE_MIB}`]);
    expect(report.args).toEqual(['a1', '--b']);
    expect(report.arenas).toBe('2');
  });

  it("keeps the operator's flag and environment", async () => {
    const { report } = await start({ MALLOC_ARENA_MAX: '4' }, ['--max-semi-space-size=1']);
    expect(report.execArgv).toEqual(['--max-semi-space-size=1']);
    expect(report.arenas).toBe('4');
  });

  it('leaves the process alone with PM_RUNTIME_TUNING=off', async () => {
    const { report } = await start({ PM_RUNTIME_TUNING: 'off' });
    expect(report.execArgv).toEqual([]);
    expect(report.arenas).toBeNull();
  });
});
