// Types of runtime-tuning-plan.js (plain JavaScript: it runs before TypeScript can load).
export declare const SEMI_SPACE_MIB: number;
export declare const MALLOC_ARENAS: number;
export declare function runtimeTuningPlan(current: {
  execArgv: readonly string[];
  argv: readonly string[];
  env: NodeJS.ProcessEnv;
}): { args: string[]; env: NodeJS.ProcessEnv } | undefined;
