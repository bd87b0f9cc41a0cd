/** The Cedar text `policy validate` and `policy publish` read: a file, or `-` for stdin. */
import { readFile } from 'node:fs/promises';
import { CliError } from './cli-error.ts';
import type { CliIo } from './command.ts';
import { ExitCode } from './exit-code.ts';

/**
 * The policy text at `path` (`-`: standard input).
 * @throws CliError (NOT_FOUND) when the file cannot be read, (USAGE) when it is empty
 */
export async function readPolicyFile(io: CliIo, path: string): Promise<string> {
  let text: string;
  try {
    text =
      path === '-' ? new TextDecoder().decode(await io.readStdin()) : await readFile(path, 'utf8');
  } catch (error) {
    throw new CliError(ExitCode.NOT_FOUND, `cannot read the policy file ${path}`, { cause: error });
  }
  if (text.trim() === '') {
    throw new CliError(ExitCode.USAGE, `the policy file ${path} is empty`);
  }
  return text;
}
