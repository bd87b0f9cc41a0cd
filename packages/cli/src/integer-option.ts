/** Integer options (`--ttl 60`, `--wait 5000`) checked at the command line, not at the server. */
import { CliError } from './cli-error.ts';
import type { OptionValues } from './command.ts';
import { ExitCode } from './exit-code.ts';

/**
 * The integer value of option `name`, or `fallback` when it is absent.
 * @throws CliError (USAGE) unless it is a whole number from `min` to `max`
 */
export function integerOption(
  values: OptionValues,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const raw = values[name];
  if (typeof raw !== 'string') return fallback;
  const value = /^-?\d+$/.test(raw.trim()) ? Number(raw.trim()) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new CliError(
      ExitCode.USAGE,
      `--${name} must be a whole number from ${min} to ${max}, got ${JSON.stringify(raw)}`,
    );
  }
  return value;
}
