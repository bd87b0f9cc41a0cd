// @ts-check
/**
 * Turns on Node's compile cache for this process when imported, before any TypeScript loads.
 * Deployables start through a small JavaScript file (`bin/start.js`) that imports this module
 * and then their `src/main.ts`.
 *
 * Why: Node 24 strips TypeScript with amaro, a WebAssembly build of swc, which costs about
 * 20 MiB of RSS and part of every start. With the compile cache on, Node keeps the stripped
 * JavaScript (and V8's code cache) on disk, and a later start of the same sources loads neither
 * amaro nor the compiler work: 112–115 instead of 136–138 MiB after loading the envelope
 * processor's modules, 203–212 instead of 216 MiB for the idle embedded platform. The first
 * start after a change fills the cache.
 *
 * Where: PM_COMPILE_CACHE_DIR, default `node_modules/.cache/proof-messenger-compile-cache` in the
 * checkout (owned by whoever installed it; a shared /tmp directory could be filled by another
 * user, and the cache holds code that runs). `PM_COMPILE_CACHE_DIR=off` leaves it off. A cache
 * that cannot be opened (read-only file system) is skipped: Node just compiles as before.
 *
 * Plain JavaScript on purpose: a TypeScript module here would load amaro before the cache is on.
 */
import { constants, enableCompileCache } from 'node:module';
import { fileURLToPath } from 'node:url';

const setting = process.env.PM_COMPILE_CACHE_DIR;

/** Where the cache was enabled, or undefined (off, or it could not be opened). */
export let compileCacheDir = /** @type {string | undefined} */ (undefined);

if (setting !== 'off') {
  const directory =
    setting !== undefined && setting !== ''
      ? setting
      : fileURLToPath(
          new URL('../../../node_modules/.cache/proof-messenger-compile-cache', import.meta.url),
        );
  const result = enableCompileCache(directory);
  if (
    result.status === constants.compileCacheStatus.ENABLED ||
    result.status === constants.compileCacheStatus.ALREADY_ENABLED
  ) {
    compileCacheDir = result.directory;
  }
}
