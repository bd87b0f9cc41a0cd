/**
 * How the CLI writes what it shows: priorities by name, instants as ISO 8601 UTC, content as text
 * when it is UTF-8 (else base64, so nothing binary reaches a terminal), and one JSON object per
 * line in `--json` mode (bigints as decimal strings, bytes as base64).
 */
import { Priority } from '@proof-messenger/proto';
import { CliError } from './cli-error.ts';
import { ExitCode } from './exit-code.ts';

const PRIORITY_NAMES: ReadonlyMap<Priority, string> = new Map([
  [Priority.UNSPECIFIED, 'normal'],
  [Priority.LOW, 'low'],
  [Priority.NORMAL, 'normal'],
  [Priority.HIGH, 'high'],
  [Priority.CRITICAL, 'critical'],
]);

const PRIORITIES: ReadonlyMap<string, Priority> = new Map([
  ['low', Priority.LOW],
  ['normal', Priority.NORMAL],
  ['high', Priority.HIGH],
  ['critical', Priority.CRITICAL],
]);

/** The lower-case name of a priority. */
export function priorityName(priority: Priority): string {
  return PRIORITY_NAMES.get(priority) ?? 'normal';
}

/**
 * The priority named `name` (low, normal, high, critical).
 * @throws CliError (USAGE) for anything else
 */
export function parsePriority(name: string): Priority {
  const priority = PRIORITIES.get(name.toLowerCase());
  if (priority === undefined) {
    throw new CliError(
      ExitCode.USAGE,
      `--priority must be one of low, normal, high, critical, got ${JSON.stringify(name)}`,
    );
  }
  return priority;
}

/** An instant (ms since the epoch) as ISO 8601 UTC. */
export function isoTime(ms: number | bigint): string {
  const value = Number(ms);
  return Number.isFinite(value) && Math.abs(value) <= 8.64e15
    ? new Date(value).toISOString()
    : `${String(ms)} ms`;
}

/** The content as UTF-8 text, or undefined when it is not valid UTF-8. */
export function asText(content: Uint8Array): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(content);
  } catch {
    return undefined;
  }
}

/** Content for a terminal: the text, or a note with the base64. */
export function showContent(content: Uint8Array): string {
  const text = asText(content);
  return (
    text ??
    `(${content.length} bytes, not UTF-8; base64: ${Buffer.from(content).toString('base64')})`
  );
}

/** Content for JSON: `text` when UTF-8, `contentBase64` always. */
export function jsonContent(content: Uint8Array): { text?: string; contentBase64: string } {
  const text = asText(content);
  return {
    ...(text === undefined ? {} : { text }),
    contentBase64: Buffer.from(content).toString('base64'),
  };
}

/** One line of JSON. */
export function jsonLine(value: unknown): string {
  return `${JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}\n`;
}
