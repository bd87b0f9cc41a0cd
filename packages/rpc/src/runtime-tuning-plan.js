// @ts-check
/**
 * What runtime-tuning.js restarts a service process with: the settings and why are described
 * there. Separate so it can be tested without restarting the process that imports it.
 */

/** Node flags that set the young generation's size; any of them means the operator chose. */
const YOUNG_GENERATION_FLAGS = ['--max-semi-space-size', '--max-young-generation-size'];
export const SEMI_SPACE_MIB = 16;
export const MALLOC_ARENAS = 2;

/**
 * What to start instead of this process, or undefined when it already runs with the settings
 * (or they are turned off).
 * @param {{ execArgv: readonly string[], argv: readonly string[], env: NodeJS.ProcessEnv }} current
 * @returns {{ args: string[], env: NodeJS.ProcessEnv } | undefined}
 */
export function runtimeTuningPlan({ execArgv, argv, env }) {
  if (env.PM_RUNTIME_TUNING === 'off') return undefined;
  const given = [...execArgv, ...(env.NODE_OPTIONS ?? '').split(/\s+/)];
  const youngGenerationSet = given.some((arg) =>
    YOUNG_GENERATION_FLAGS.some((flag) => arg === flag || arg.startsWith(`${flag}=`)),
  );
  const arenasSet = env.MALLOC_ARENA_MAX !== undefined && env.MALLOC_ARENA_MAX !== '';
  if (youngGenerationSet && arenasSet) return undefined;
  const flags = youngGenerationSet ? [] : [`--max-semi-space-size=${SEMI_SPACE_MIB}`];
  return {
    // argv[0] is the node binary, argv[1] the script, the rest its arguments.
    args: [argv[0] ?? process.execPath, ...flags, ...execArgv, ...argv.slice(1)],
    env: arenasSet ? env : { ...env, MALLOC_ARENA_MAX: String(MALLOC_ARENAS) },
  };
}
