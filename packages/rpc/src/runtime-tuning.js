// @ts-check
/**
 * Runtime settings for a long-running service process, applied when imported: if they are not in
 * place yet, the process replaces itself (`process.execve`: same pid, same stdio, nothing else has
 * run yet) with the same command plus these settings. Deployables import it first in
 * `bin/start.js`, so every way of starting a service (npm scripts, containers, the benchmarks,
 * the tests) runs with the same settings.
 *
 * - `MALLOC_ARENA_MAX=2`: glibc gives each thread that allocates its own 64 MiB malloc arena.
 *   A service has a dozen threads (verification workers, the checkpoint worker, libuv's pool,
 *   V8's helpers), and the envelope processor's arenas held about 44 MiB at rest besides the main
 *   one. Two arenas keep that memory shared.
 * - `--max-semi-space-size=16` (MiB): on a machine with many GiB, V8 grows the young generation to
 *   64 MiB, all of it resident once the service is busy, for garbage that dies within one call.
 *
 * Either setting given by the operator (the environment variable, or a young-generation flag in
 * the arguments or NODE_OPTIONS) is kept as given. `PM_RUNTIME_TUNING=off` turns this off.
 * Measured in docs/envelope-processor.md ("Runtime settings").
 *
 * Plain JavaScript on purpose: it runs before anything is loaded, TypeScript's stripper included.
 */

import { runtimeTuningPlan } from './runtime-tuning-plan.js';

const plan = runtimeTuningPlan(process);
// execve exists on POSIX systems from Node 23.11; elsewhere the service runs untuned.
if (plan !== undefined && typeof process.execve === 'function') {
  process.execve(process.execPath, plan.args, plan.env);
}
