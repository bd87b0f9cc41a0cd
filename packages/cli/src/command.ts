/**
 * What a CLI command is: its name and arguments, its help text and options (which double as the
 * `node:util` parseArgs configuration), and the function that runs it. Commands get their
 * terminal and environment through `CliIo`, so a test or another program can run them in-process
 * with captured output.
 */

/** The outside world of one CLI run. */
export interface CliIo {
  /** The environment variables the run sees. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Writes to standard output (text as given; add the newline yourself). */
  readonly stdout: (text: string) => void;
  /** Writes to standard error. */
  readonly stderr: (text: string) => void;
  /** Reads all of standard input. */
  readonly readStdin: () => Promise<Uint8Array>;
  /** Aborted when the user presses Ctrl-C (SIGINT) or the process gets SIGTERM. */
  readonly signal: AbortSignal;
}

/** One option of a command, for parseArgs and for `--help`. */
export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
  readonly multiple?: boolean;
  /** Placeholder of the value in help, e.g. `<file>`. */
  readonly value?: string;
  readonly description: string;
}

/** Parsed option values, by long name. */
export type OptionValues = Readonly<
  Record<string, string | boolean | (string | boolean)[] | undefined>
>;

/** A parsed command line, handed to `Command.run`. */
export interface Invocation {
  readonly io: CliIo;
  readonly positionals: readonly string[];
  readonly values: OptionValues;
}

/** Groups of shared options a command accepts (see `global-options.ts`). */
export type OptionGroup = 'server' | 'channel' | 'governance' | 'key-store' | 'output';

export interface Command {
  /** The words that select it, e.g. `agent create`. */
  readonly name: string;
  /** Its positional arguments as shown in usage, e.g. `<agent-id>`. */
  readonly args: string;
  /** Least and most positional arguments. */
  readonly arity: readonly [number, number];
  /** One line for the command list. */
  readonly summary: string;
  /** The body of `--help`: what it does, what it needs, examples. */
  readonly description: string;
  readonly options: Readonly<Record<string, OptionSpec>>;
  readonly groups: readonly OptionGroup[];
  /** Runs it; resolves to the exit code. */
  run(invocation: Invocation): Promise<number>;
}
