/**
 * Checks of PolicyService request fields, before Cedar parses anything: sizes first, so a huge
 * text costs a length check, not a parse.
 */
import { InvalidArgumentError, TooLargeError } from '@proof-messenger/errors';
import { MAX_COMMENT_CHARS, MAX_POLICY_BYTES } from '@proof-messenger/policy';

/** A policy text within the size limit. */
export function policyText(text: string): string {
  if (Buffer.byteLength(text, 'utf8') > MAX_POLICY_BYTES) {
    throw new TooLargeError(`text must be at most ${MAX_POLICY_BYTES} bytes of Cedar`, {
      field: 'text',
    });
  }
  if (text.trim() === '') {
    throw new InvalidArgumentError('text is required: the Cedar policies to check or publish', {
      field: 'text',
    });
  }
  return text;
}

/** A comment within the length limit. */
export function comment(value: string): string {
  if (value.length > MAX_COMMENT_CHARS) {
    throw new InvalidArgumentError(`comment must be at most ${MAX_COMMENT_CHARS} characters`, {
      field: 'comment',
    });
  }
  return value;
}

/** A uint64 version number (0 allowed where the field says it means "active"). */
export function versionNumber(value: bigint): number {
  if (value > 1_000_000_000n) {
    throw new InvalidArgumentError(`version ${value} was never stored`, { field: 'version' });
  }
  return Number(value);
}
