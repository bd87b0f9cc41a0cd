/**
 * What `send`, `request` and `reply` send: the content (an argument, `--file <path>`, or `-` for
 * standard input) and the send options checked at the command line (priority, TTL, cleartext,
 * content type), shared so the three commands take the same flags.
 */
import { readFile } from 'node:fs/promises';
import type { SendOptions } from '@proof-messenger/client-sdk';
import { Code, ProofMessengerError } from '@proof-messenger/errors';
import { MAX_CONTENT_TYPE, MAX_TTL_SECONDS } from '@proof-messenger/protocol';
import { CliError } from './cli-error.ts';
import type { CliIo, OptionSpec, OptionValues } from './command.ts';
import { ExitCode } from './exit-code.ts';
import { parsePriority } from './format.ts';
import { optionString } from './global-options.ts';
import { integerOption } from './integer-option.ts';

/** The flags of every sending command. */
export const SEND_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  file: { type: 'string', value: '<path>', description: 'send the bytes of this file' },
  priority: {
    type: 'string',
    value: '<level>',
    description: 'low, normal (default), high or critical',
  },
  ttl: {
    type: 'string',
    value: '<seconds>',
    description: `time to live, 1 to ${MAX_TTL_SECONDS} (default: the server's, 24 h)`,
  },
  cleartext: {
    type: 'boolean',
    description: 'sign without encrypting: readable on the way, but nobody can change it',
  },
  'content-type': {
    type: 'string',
    value: '<type>',
    description: 'media type of the content (default text/plain for text, none for --file)',
  },
  'save-envelope': {
    type: 'string',
    value: '<file>',
    description: 'also write the signed envelope (the proof) to this file',
  },
};

/**
 * The content: `--file`, `-` (stdin) or the text argument; exactly one.
 * @throws CliError (USAGE) for none or two, (NOT_FOUND) for an unreadable file
 */
export async function messageContent(
  io: CliIo,
  values: OptionValues,
  text: string | undefined,
): Promise<{ readonly bytes: Uint8Array; readonly isText: boolean }> {
  const file = optionString(values, 'file');
  if (file !== undefined && text !== undefined) {
    throw new CliError(
      ExitCode.USAGE,
      'give the content once: as text, as - (stdin), or with --file',
    );
  }
  if (file !== undefined) {
    try {
      return { bytes: new Uint8Array(await readFile(file)), isText: false };
    } catch (error) {
      throw new CliError(ExitCode.NOT_FOUND, `cannot read ${file}`, { cause: error });
    }
  }
  if (text === '-') return { bytes: await io.readStdin(), isText: false };
  if (text === undefined) {
    throw new CliError(
      ExitCode.USAGE,
      'no content: give it as text, as - (stdin), or with --file <path>',
    );
  }
  return { bytes: new TextEncoder().encode(text), isText: true };
}

/**
 * SendOptions from the flags.
 * @throws CliError (USAGE) for a bad priority, TTL or content type
 */
export function sendOptions(values: OptionValues, isText: boolean): SendOptions {
  const priority = optionString(values, 'priority');
  const contentType = optionString(values, 'content-type') ?? (isText ? 'text/plain' : undefined);
  if (contentType !== undefined && contentType.length > MAX_CONTENT_TYPE) {
    throw new CliError(
      ExitCode.USAGE,
      `--content-type must be at most ${MAX_CONTENT_TYPE} characters, got ${contentType.length}`,
    );
  }
  return {
    ...(priority === undefined ? {} : { priority: parsePriority(priority) }),
    ...(values.ttl === undefined
      ? {}
      : { ttlSeconds: integerOption(values, 'ttl', 0, 1, MAX_TTL_SECONDS) }),
    ...(values.cleartext === true ? { cleartext: true } : {}),
    ...(contentType === undefined ? {} : { contentType }),
  };
}

/** A refusal that names the recipient as unknown, said as such (exit 4). */
export function explainRecipient(error: unknown, recipient: string): unknown {
  if (
    error instanceof ProofMessengerError &&
    error.code === Code.NOT_FOUND &&
    error.message === `agent ${recipient} is not registered`
  ) {
    return new CliError(
      ExitCode.NOT_FOUND,
      `recipient ${recipient} is not registered: check the agent id`,
      { cause: error },
    );
  }
  return error;
}
