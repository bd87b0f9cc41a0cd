/**
 * The one error the commands throw on purpose: a message for the person or script at the terminal
 * (what went wrong and what to do about it) and the exit code to end with. Everything else a
 * command throws is translated by `toCliError`.
 */
import type { ExitCode } from './exit-code.ts';

export class CliError extends Error {
  override name = 'CliError';
  readonly exitCode: ExitCode;

  constructor(exitCode: ExitCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.exitCode = exitCode;
  }
}
