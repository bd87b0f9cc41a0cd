/**
 * The one place that turns whatever a command threw into a message and an exit code. Server
 * refusals keep the server's message (it says what to fix) with the status name; a call that never
 * reached a server becomes UNREACHABLE with how to start or point at one.
 *
 * How an unreachable server is told apart from a server that answers UNAVAILABLE: grpc-js reports
 * connection failures itself, without the typed error detail every Proof-Messenger service
 * attaches, so they arrive with reason UNSPECIFIED.
 */
import { RequestTimeoutError } from '@proof-messenger/client-sdk';
import { Code, codeName, ProofMessengerError, Reason } from '@proof-messenger/errors';
import { CliError } from './cli-error.ts';
import { ExitCode } from './exit-code.ts';

/** Addresses the command talked to, each with the flag that sets it, for the unreachable-server message. */
export type Addresses = readonly { readonly address: string; readonly flag: string }[];

function isUnreachable(error: ProofMessengerError): boolean {
  return error.code === Code.UNAVAILABLE && error.reason === Reason.UNSPECIFIED;
}

function unreachable(error: ProofMessengerError, addresses: Addresses): CliError {
  // The first entry for an address names its flag: --address when the services share it.
  const named = addresses.find(({ address }) => error.message.includes(address));
  const where = named?.address ?? [...new Set(addresses.map((a) => a.address))].join(' or ');
  return new CliError(
    ExitCode.UNREACHABLE,
    `cannot reach ${where || 'the server'}: is the platform running? start it with \`npm start\` or \`proof-messenger start\`, or pass ${named?.flag ?? '--address'} <host:port>`,
    { cause: error },
  );
}

/** The CliError for `error`. */
export function toCliError(error: unknown, addresses: Addresses = []): CliError {
  if (error instanceof CliError) return error;
  if (error instanceof RequestTimeoutError) {
    return new CliError(ExitCode.TIMEOUT, error.message, { cause: error });
  }
  if (error instanceof ProofMessengerError) {
    if (isUnreachable(error)) return unreachable(error, addresses);
    const exitCode = error.code === Code.NOT_FOUND ? ExitCode.NOT_FOUND : ExitCode.FAILURE;
    return new CliError(exitCode, `${error.message} (${codeName(error.code)})`, { cause: error });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new CliError(ExitCode.FAILURE, message, { cause: error });
}
