/**
 * Decoding and structural validation of envelope headers. Everything here is cheap and runs before
 * any signature check, so malformed input is refused with a message naming the field and what a
 * valid value is. The header bytes themselves are never re-encoded: callers keep the original
 * bytes for signing, verification and associated data.
 */
import { fromBinary } from '@bufbuild/protobuf';
import { CONTENT_SIZES, suiteSizes } from '@proof-messenger/crypto';
import { InvalidArgumentError } from '@proof-messenger/errors';
import {
  ContentMode,
  type EnvelopeHeader,
  EnvelopeHeaderSchema,
  Priority,
} from '@proof-messenger/proto';
import {
  checkAgentId,
  checkChannelId,
  checkKeyId,
  checkMessageId,
  MAX_CORRELATION_ID,
} from './identifiers.ts';

/** The header version this code writes and accepts. */
export const HEADER_VERSION = 1;

/** Longest time to live a sender may ask for: 30 days. */
export const MAX_TTL_SECONDS = 30 * 24 * 3600;

/** Longest content type string. */
export const MAX_CONTENT_TYPE = 128;

function fail(field: string, message: string): never {
  throw new InvalidArgumentError(`${field} ${message}`, { field });
}

/**
 * Decodes header bytes and checks every field's shape (not signatures, keys or time windows).
 * @param field path of the header in the request, for error messages
 * @throws InvalidArgumentError naming the first offending field; UnsupportedSuiteError
 */
export function parseEnvelopeHeader(bytes: Uint8Array, field = 'envelope.header'): EnvelopeHeader {
  if (bytes.length === 0) fail(field, 'is required');
  let header: EnvelopeHeader;
  try {
    header = fromBinary(EnvelopeHeaderSchema, bytes);
  } catch (cause) {
    throw new InvalidArgumentError(`${field} is not a valid EnvelopeHeader protobuf`, {
      field,
      cause,
    });
  }
  checkEnvelopeHeader(header, field);
  return header;
}

/** Checks the shape of a decoded header; see parseEnvelopeHeader. */
export function checkEnvelopeHeader(header: EnvelopeHeader, field = 'envelope.header'): void {
  if (header.version !== HEADER_VERSION) {
    fail(`${field}.version`, `must be ${HEADER_VERSION}, got ${header.version}`);
  }
  checkMessageId(`${field}.message_id`, header.messageId);
  checkAgentId(`${field}.sender_id`, header.senderId);
  switch (header.destination.case) {
    case 'recipientId':
      checkAgentId(`${field}.recipient_id`, header.destination.value);
      if (header.channelEpoch !== 0n)
        fail(`${field}.channel_epoch`, 'must be 0 for a direct message');
      break;
    case 'channelId':
      checkChannelId(`${field}.channel_id`, header.destination.value);
      break;
    default:
      fail(`${field}.destination`, 'must set recipient_id or channel_id');
  }
  if (header.priority < Priority.UNSPECIFIED || header.priority > Priority.CRITICAL) {
    fail(`${field}.priority`, `must be one of 0-4 (UNSPECIFIED..CRITICAL), got ${header.priority}`);
  }
  if (header.ttlSeconds > MAX_TTL_SECONDS) {
    fail(
      `${field}.ttl_seconds`,
      `must be at most ${MAX_TTL_SECONDS} (30 days), got ${header.ttlSeconds}`,
    );
  }
  if (header.createdAtMs <= 0n)
    fail(`${field}.created_at_ms`, 'must be a positive Unix time in milliseconds');
  if (header.correlationId.length > MAX_CORRELATION_ID) {
    fail(
      `${field}.correlation_id`,
      `must be at most ${MAX_CORRELATION_ID} characters, got ${header.correlationId.length}`,
    );
  }
  if (header.contentType.length > MAX_CONTENT_TYPE) {
    fail(
      `${field}.content_type`,
      `must be at most ${MAX_CONTENT_TYPE} characters, got ${header.contentType.length}`,
    );
  }
  checkKeyId(`${field}.sender_key_id`, header.senderKeyId);
  const sizes = suiteSizes(header.suite);
  if (header.contentMode === ContentMode.ENCRYPTED) {
    const count = header.recipients.length;
    if (count === 0 || count > CONTENT_SIZES.maxRecipients) {
      fail(
        `${field}.recipients`,
        `must list 1 to ${CONTENT_SIZES.maxRecipients} recipient keys, got ${count}`,
      );
    }
    header.recipients.forEach((entry, i) => {
      const at = `${field}.recipients[${i}]`;
      checkKeyId(`${at}.key_id`, entry.keyId);
      // A channel message wraps its content key under the publisher's sender key: one entry,
      // no KEM ciphertext (see channel-envelope.ts).
      const senderKeyEntry =
        header.destination.case === 'channelId' && count === 1 && entry.kemCiphertext.length === 0;
      if (!senderKeyEntry && entry.kemCiphertext.length !== sizes.ciphertext) {
        fail(
          `${at}.kem_ciphertext`,
          `must be ${sizes.ciphertext} bytes for suite ${header.suite}, got ${entry.kemCiphertext.length}`,
        );
      }
      if (entry.wrappedKey.length !== CONTENT_SIZES.wrappedKey) {
        fail(
          `${at}.wrapped_key`,
          `must be ${CONTENT_SIZES.wrappedKey} bytes, got ${entry.wrappedKey.length}`,
        );
      }
    });
    if (header.nonce.length !== CONTENT_SIZES.nonce) {
      fail(`${field}.nonce`, `must be ${CONTENT_SIZES.nonce} bytes, got ${header.nonce.length}`);
    }
  } else if (header.contentMode === ContentMode.SIGNED_CLEARTEXT) {
    if (header.recipients.length > 0)
      fail(`${field}.recipients`, 'must be empty for signed cleartext');
    if (header.nonce.length > 0) fail(`${field}.nonce`, 'must be empty for signed cleartext');
  } else {
    fail(
      `${field}.content_mode`,
      `must be ENCRYPTED (1) or SIGNED_CLEARTEXT (2), got ${header.contentMode}`,
    );
  }
}
