export type { CliIo, Command, Invocation, OptionSpec } from './command.ts';
export { ExitCode } from './exit-code.ts';
export { runCli } from './run-cli.ts';
