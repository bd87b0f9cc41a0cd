/**
 * The CLI as a function: `runCli(argv, io)` picks the command from the first words of `argv`,
 * parses the rest with `node:util` parseArgs (strict: unknown options are usage errors), runs it,
 * and turns any failure into a message on stderr and an exit code. `main.ts` only wires it to the
 * process.
 */
import { parseArgs } from 'node:util';
import { CliError } from './cli-error.ts';
import type { CliIo, Command, OptionSpec, OptionValues } from './command.ts';
import { COMMANDS } from './commands/index.ts';
import { ExitCode } from './exit-code.ts';
import { GLOBAL_OPTIONS, HELP_OPTION, serverAddresses } from './global-options.ts';
import { commandHelp, programHelp } from './help.ts';
import { toCliError } from './to-cli-error.ts';

/** The command `words` start with, and how many words named it. */
function findCommand(words: readonly string[]): { command: Command; used: number } | undefined {
  const [first, second] = words;
  const two = COMMANDS.find((c) => c.name === `${first} ${second}`);
  if (two !== undefined) return { command: two, used: 2 };
  const one = COMMANDS.find((c) => c.name === first);
  if (one !== undefined) return { command: one, used: 1 };
  // `queue <agent-id>` is `queue status <agent-id>`.
  const queue = COMMANDS.find((c) => c.name === 'queue status');
  if (first === 'queue' && queue !== undefined) return { command: queue, used: 1 };
  return undefined;
}

function parseOptions(command: Command): Record<string, OptionSpec> {
  return Object.assign(
    {},
    command.options,
    ...command.groups.map((group) => GLOBAL_OPTIONS[group]),
    { help: HELP_OPTION },
  );
}

function unknownCommand(words: readonly string[]): CliError {
  const [first] = words;
  const family = COMMANDS.filter((c) => c.name.startsWith(`${first} `)).map((c) => c.name);
  const hint =
    family.length > 0
      ? `; ${first} has: ${family.map((name) => name.split(' ')[1]).join(', ')}`
      : '';
  return new CliError(
    ExitCode.USAGE,
    `unknown command ${JSON.stringify(words.slice(0, family.length > 0 ? 2 : 1).join(' '))}${hint} (run \`proof-messenger --help\`)`,
  );
}

function fail(io: CliIo, error: CliError, command: Command | undefined): number {
  const usage =
    error.exitCode === ExitCode.USAGE && command !== undefined
      ? `\n(run \`proof-messenger ${command.name} --help\` for usage)`
      : '';
  io.stderr(`error: ${error.message}${usage}\n`);
  return error.exitCode;
}

/** Runs the CLI on `argv` (without node and the script); resolves to the exit code. */
export async function runCli(args: readonly string[], io: CliIo): Promise<number> {
  // `npm run pm -- send …` and some pnpm versions pass the separator on.
  const argv = args[0] === '--' ? args.slice(1) : args;
  if (argv.length === 0) {
    io.stderr(programHelp());
    return ExitCode.USAGE;
  }
  const [first] = argv;
  if (first === '--help' || first === '-h' || (first === 'help' && argv.length === 1)) {
    io.stdout(programHelp());
    return ExitCode.OK;
  }
  const helpFor = first === 'help';
  const words = helpFor ? argv.slice(1) : argv;
  const found = findCommand(words);
  if (found === undefined) return fail(io, unknownCommand(words), undefined);
  const { command, used } = found;
  if (helpFor) {
    io.stdout(commandHelp(command));
    return ExitCode.OK;
  }
  let positionals: string[];
  let values: OptionValues;
  try {
    ({ positionals, values } = parseArgs({
      args: [...words.slice(used)],
      options: parseOptions(command),
      strict: true,
      allowPositionals: true,
      allowNegative: false,
    }));
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return fail(io, new CliError(ExitCode.USAGE, message, { cause: error }), command);
  }
  if (values.help === true) {
    io.stdout(commandHelp(command));
    return ExitCode.OK;
  }
  const [least, most] = command.arity;
  if (positionals.length < least || positionals.length > most) {
    const expected = command.args === '' ? 'no arguments' : command.args;
    return fail(
      io,
      new CliError(
        ExitCode.USAGE,
        `${command.name} takes ${expected}, got ${positionals.length === 0 ? 'none' : positionals.map((p) => JSON.stringify(p)).join(' ')}`,
      ),
      command,
    );
  }
  try {
    return await command.run({ io, positionals, values });
  } catch (error) {
    const addresses = command.groups.includes('server') ? serverAddresses(io, values) : undefined;
    const called =
      addresses === undefined
        ? []
        : [
            { address: addresses.keyManagement, flag: '--address' },
            { address: addresses.envelopeProcessor, flag: '--envelope-processor' },
            ...(command.groups.includes('channel')
              ? [{ address: addresses.channel, flag: '--channel-address' }]
              : []),
            ...(command.groups.includes('governance')
              ? [{ address: addresses.governance, flag: '--governance-address' }]
              : []),
          ];
    const cliError = toCliError(error, called);
    return fail(io, cliError, command);
  }
}
