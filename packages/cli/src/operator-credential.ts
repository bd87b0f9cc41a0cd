/**
 * Acting as an operator: the credential from `--operator-credential-file` or
 * PM_OPERATOR_CREDENTIAL (the embedded platform writes its own to <data dir>/operator.credential).
 * Commands that accept it need no key store when it is given.
 */
import { readFile } from 'node:fs/promises';
import { CliError } from './cli-error.ts';
import type { CliIo, OptionSpec, OptionValues } from './command.ts';
import { ExitCode } from './exit-code.ts';
import { optionString } from './global-options.ts';

/** The option, for the commands that accept it. */
export const OPERATOR_CREDENTIAL_OPTION: OptionSpec = {
  type: 'string',
  value: '<file>',
  description: 'act as an operator with the credential in this file (env PM_OPERATOR_CREDENTIAL)',
};

/**
 * The operator credential, or undefined when none was given.
 * @throws CliError (NOT_FOUND) when the file cannot be read
 */
export async function operatorCredential(
  io: CliIo,
  values: OptionValues,
): Promise<string | undefined> {
  const file = optionString(values, 'operator-credential-file');
  if (file === undefined) return io.env.PM_OPERATOR_CREDENTIAL || undefined;
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch (error) {
    throw new CliError(ExitCode.NOT_FOUND, `cannot read the operator credential file ${file}`, {
      cause: error,
    });
  }
}
