/** Reading integer settings from the environment, with a message naming the variable and its range. */
import { InvalidArgumentError } from '@proof-messenger/errors';

/**
 * `env[name]` as an integer in [min, max], or `fallback` when unset or empty.
 * @throws InvalidArgumentError naming the variable, its range and the bad value
 */
export function envInteger(
  env: Readonly<Record<string, string | undefined>>,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new InvalidArgumentError(
      `${name} must be an integer from ${min} to ${max}, got "${raw}"`,
    );
  }
  return value;
}
