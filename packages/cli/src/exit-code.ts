/**
 * The exit codes of `proof-messenger`, one per kind of outcome a script may branch on. They are
 * part of the CLI's contract (docs/cli.md): never renumber one.
 */

export const ExitCode = {
  /** Done. For `verify`: the proof is valid. */
  OK: 0,
  /** The server or the operation refused or failed (including an invalid proof in `verify`). */
  FAILURE: 1,
  /** The command line is wrong: unknown command or option, missing or malformed argument. */
  USAGE: 2,
  /** A server could not be reached. */
  UNREACHABLE: 3,
  /** Something named does not exist: the key store, a file, an agent. */
  NOT_FOUND: 4,
  /** `request` got no reply in time. */
  TIMEOUT: 5,
} as const;

/** One exit code. */
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];
