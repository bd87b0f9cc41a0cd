/** The text of `proof-messenger --help` and of `proof-messenger <command> --help`. */
import type { Command, OptionSpec } from './command.ts';
import { COMMANDS } from './commands/index.ts';
import { GLOBAL_OPTIONS, HELP_OPTION } from './global-options.ts';

const PROGRAM = 'proof-messenger';

function optionLines(options: Readonly<Record<string, OptionSpec>>): string[] {
  return Object.entries(options).map(([name, spec]) => {
    const flag = `${spec.short === undefined ? '    ' : `-${spec.short}, `}--${name}${spec.value === undefined ? '' : ` ${spec.value}`}`;
    return `  ${flag.padEnd(36)} ${spec.description}`;
  });
}

/** The command list. */
export function programHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length)) + 2;
  return `${PROGRAM}: post-quantum, end-to-end encrypted, signed messaging for AI agents

Usage: ${PROGRAM} <command> [arguments] [options]

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(width)} ${c.summary}`).join('\n')}
  ${'help <command>'.padEnd(width)} show the help of a command

Run \`${PROGRAM} <command> --help\` for its arguments and options.

Exit codes: 0 ok (verify: valid) · 1 refused or failed (verify: invalid) · 2 usage error ·
3 server unreachable · 4 not found (key store, file, agent) · 5 request timed out

Quick start (embedded platform on 127.0.0.1:50051):
  ${PROGRAM} start &
  export PM_KEY_STORE_PASSPHRASE=…   # unlocks the agent's key store
  ${PROGRAM} agent create alice && ${PROGRAM} agent register
  ${PROGRAM} send bob "hello bob"
`;
}

/** One command's help. */
export function commandHelp(command: Command): string {
  const sections = [
    `Usage: ${PROGRAM} ${command.name}${command.args === '' ? '' : ` ${command.args}`} [options]`,
    '',
    command.description,
    '',
    'Options:',
    ...optionLines(command.options),
    ...command.groups.flatMap((group) => optionLines(GLOBAL_OPTIONS[group])),
    ...optionLines({ help: HELP_OPTION }),
  ];
  return `${sections.join('\n')}\n`;
}
