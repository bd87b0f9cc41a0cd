/**
 * A channel service refusal that says the channel does not exist, said in terms of what to do
 * (exit 4). Policy refusals and the rest keep the server's message (`toCliError`).
 */
import { Code, ProofMessengerError } from '@proof-messenger/errors';
import { CliError } from './cli-error.ts';
import { ExitCode } from './exit-code.ts';

/** `error`, or the CliError for an unknown `channelId`. */
export function explainChannel(error: unknown, channelId: string): unknown {
  if (
    error instanceof ProofMessengerError &&
    error.code === Code.NOT_FOUND &&
    error.message === `channel ${channelId} does not exist`
  ) {
    return new CliError(
      ExitCode.NOT_FOUND,
      `channel ${channelId} does not exist: check the channel id, or create it with \`proof-messenger channel create ${channelId} --policy <policy>\``,
      { cause: error },
    );
  }
  return error;
}
