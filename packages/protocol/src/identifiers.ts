/**
 * Syntax of the identifiers that appear in signed headers. Checked before any cryptography so
 * malformed input is refused cheaply with a message that says what a valid value looks like.
 */
import type { CryptoProvider } from '@proof-messenger/crypto';
import { InvalidArgumentError } from '@proof-messenger/errors';

const AGENT_ID = /^[a-z0-9][a-z0-9._:-]{0,127}$/;
const CHANNEL_ID = /^[a-z0-9][a-z0-9._-]{0,127}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const KEY_ID = /^[A-Za-z0-9_-]{22}$/;

/**
 * Prefixes no agent id may start with: audit entries, rate-limit subjects and policy messages name
 * operators, services and peers as `operator:<name>`, `service:<name>`, `peer:<address>` next to
 * bare agent ids, so an agent registered as `operator:ops` could pass for the operator there.
 */
export const RESERVED_AGENT_ID_PREFIXES: readonly string[] = [
  'operator:',
  'service:',
  'peer:',
  'agent:',
  'target:',
  'channel:',
  'policy:',
  'system:',
];

/** Maximum length of a correlation id. */
export const MAX_CORRELATION_ID = 128;

/** Throws unless `value` is an agent id: 1–128 of a-z 0-9 . _ : - starting with a letter or digit. */
export function checkAgentId(field: string, value: string): string {
  if (!AGENT_ID.test(value)) {
    throw new InvalidArgumentError(
      `${field} must be 1-128 characters of a-z, 0-9, '.', '_', ':' or '-' starting with a letter or digit, got ${JSON.stringify(value.slice(0, 140))}`,
      { field },
    );
  }
  const reserved = RESERVED_AGENT_ID_PREFIXES.find((prefix) => value.startsWith(prefix));
  if (reserved !== undefined) {
    throw new InvalidArgumentError(
      `${field} must not start with "${reserved}": that prefix names operators, services and peers in audit entries and limits`,
      { field },
    );
  }
  return value;
}

/** Throws unless `value` is a channel id: 1–128 of a-z 0-9 . _ - starting with a letter or digit. */
export function checkChannelId(field: string, value: string): string {
  if (!CHANNEL_ID.test(value)) {
    throw new InvalidArgumentError(
      `${field} must be 1-128 characters of a-z, 0-9, '.', '_' or '-' starting with a letter or digit, got ${JSON.stringify(value.slice(0, 140))}`,
      { field },
    );
  }
  return value;
}

/** Throws unless `value` is a lower-case canonical UUID. */
export function checkMessageId(field: string, value: string): string {
  if (!UUID.test(value)) {
    throw new InvalidArgumentError(
      `${field} must be a lower-case UUID such as 0192f6a0-7c1e-7b3a-9c2d-4e5f6a7b8c9d, got ${JSON.stringify(value.slice(0, 60))}`,
      { field },
    );
  }
  return value;
}

/** Throws unless `value` is a key id (22 base64url characters). */
export function checkKeyId(field: string, value: string): string {
  if (!KEY_ID.test(value)) {
    throw new InvalidArgumentError(
      `${field} must be a key id of 22 base64url characters, got ${JSON.stringify(value.slice(0, 40))}`,
      { field },
    );
  }
  return value;
}

function uuidText(bytes: Uint8Array): string {
  const hex = Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * A UUID version 8 (RFC 9562) derived from SHA-256 of `domain` and `parts` joined by NUL: the same
 * inputs always name the same message, so whatever is produced twice (a notice, a subscriber's
 * copy of a channel message) is stored once by the queue's idempotency.
 */
export function derivedMessageId(
  provider: CryptoProvider,
  domain: string,
  ...parts: readonly string[]
): string {
  const digest = provider.sha256(new TextEncoder().encode([domain, ...parts].join('\0')));
  const bytes = digest.slice(0, 16);
  bytes[6] = 0x80 | ((bytes[6] ?? 0) & 0x0f);
  bytes[8] = 0x80 | ((bytes[8] ?? 0) & 0x3f);
  return uuidText(bytes);
}

/** A fresh UUID version 7 (time-ordered, RFC 9562), the recommended message id. */
export function newMessageId(
  now: number = Date.now(),
  random: Uint8Array = crypto.getRandomValues(new Uint8Array(10)),
): string {
  const bytes = new Uint8Array(16);
  const view = new DataView(bytes.buffer);
  view.setUint16(0, Math.floor(now / 2 ** 32));
  view.setUint32(2, now % 2 ** 32);
  bytes.set(random, 6);
  bytes[6] = 0x70 | ((bytes[6] ?? 0) & 0x0f);
  bytes[8] = 0x80 | ((bytes[8] ?? 0) & 0x3f);
  return uuidText(bytes);
}
