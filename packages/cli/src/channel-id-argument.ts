/** Channel ids given on the command line, checked before anything is sent. */
import { checkChannelId } from '@proof-messenger/protocol';
import { CliError } from './cli-error.ts';
import { ExitCode } from './exit-code.ts';

/**
 * `value` when it is a valid channel id.
 * @throws CliError (USAGE) saying what a channel id may contain
 */
export function channelIdArgument(value: string): string {
  try {
    return checkChannelId('channel-id', value);
  } catch (error) {
    throw new CliError(ExitCode.USAGE, error instanceof Error ? error.message : String(error), {
      cause: error,
    });
  }
}
