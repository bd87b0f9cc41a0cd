/**
 * compile-cache.js: importing it turns Node's compile cache on in PM_COMPILE_CACHE_DIR (or not,
 * with `off`), and with a warm cache a TypeScript entry starts without loading the type stripper.
 * Each case is a fresh `node` process, since the cache is per process.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const MODULE = fileURLToPath(new URL('./compile-cache.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'pm-compile-cache-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs an entry that imports compile-cache.js, then `typescript`; returns what it reports. */
function start(setting: string | undefined): {
  module: string | null;
  node: string | null;
  stripper: boolean;
} {
  writeFileSync(join(dir, 'typed.ts'), 'const n: number = 1;\nexport const value = n;\n');
  const entry = join(dir, 'entry.mjs');
  writeFileSync(
    entry,
    `import { compileCacheDir } from ${JSON.stringify(MODULE)};
import { getCompileCacheDir } from 'node:module';
await import('./typed.ts');
console.log(JSON.stringify({
  module: compileCacheDir ?? null,
  node: getCompileCacheDir() ?? null,
  stripper: process.moduleLoadList.some((name) => name.includes('amaro')),
}));`,
  );
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_COMPILE_CACHE: undefined };
  if (setting === undefined) delete env.PM_COMPILE_CACHE_DIR;
  else env.PM_COMPILE_CACHE_DIR = setting;
  return JSON.parse(execFileSync(process.execPath, [entry], { env, encoding: 'utf8' }));
}

describe('compile-cache', () => {
  it('enables the cache in PM_COMPILE_CACHE_DIR; warm, TypeScript loads without the stripper', () => {
    const cache = join(dir, 'cache');
    // Node keeps its entries in a subdirectory per Node version.
    const inCache = { module: cache, node: expect.stringMatching(/^.*\/cache\/v24\./) };
    expect(start(cache)).toEqual({ ...inCache, stripper: true });
    expect(start(cache)).toEqual({ ...inCache, stripper: false });
  });

  it('stays off with PM_COMPILE_CACHE_DIR=off (the stripper runs every time)', () => {
    expect(start('off')).toEqual({ module: null, node: null, stripper: true });
    expect(start('off')).toEqual({ module: null, node: null, stripper: true });
  });

  it('defaults to node_modules/.cache in the checkout', () => {
    const { module } = start(undefined);
    expect(module).toBe(
      fileURLToPath(
        new URL('../../../node_modules/.cache/proof-messenger-compile-cache', import.meta.url),
      ),
    );
  });
});
