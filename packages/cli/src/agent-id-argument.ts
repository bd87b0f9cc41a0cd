/** Agent ids given on the command line, checked before anything is sent. */
import { checkAgentId } from '@proof-messenger/protocol';
import { CliError } from './cli-error.ts';
import { ExitCode } from './exit-code.ts';

/**
 * `value` when it is a valid agent id.
 * @throws CliError (USAGE) saying what an agent id may contain
 */
export function agentIdArgument(name: string, value: string): string {
  try {
    return checkAgentId(name, value);
  } catch (error) {
    throw new CliError(ExitCode.USAGE, error instanceof Error ? error.message : String(error), {
      cause: error,
    });
  }
}
