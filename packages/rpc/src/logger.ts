/**
 * The structured logger every service uses: one JSON line per entry on stderr, fields first then
 * message (pino's call shape, so pino can replace it without touching call sites). Errors in
 * fields are reduced to name and message; secrets are never passed in.
 */

/** What services log through. */
export interface Logger {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

function errorReplacer(_key: string, value: unknown): unknown {
  return value instanceof Error ? { name: value.name, message: value.message } : value;
}

/**
 * A logger writing JSON lines, tagged with the service `name`, to stderr or to `sink` (e.g. a
 * file stream, when a terminal should show something else).
 */
export function jsonLogger(
  name: string,
  sink: (line: string) => void = (line) => process.stderr.write(line),
): Logger {
  const write = (level: string) => (fields: object, message: string) => {
    sink(
      `${JSON.stringify({ time: new Date().toISOString(), level, name, message, ...fields }, errorReplacer)}\n`,
    );
  };
  return { info: write('info'), warn: write('warn'), error: write('error') };
}

/** A logger that drops everything (tests, benchmarks). */
export const silentLogger: Logger = { info: () => {}, warn: () => {}, error: () => {} };
