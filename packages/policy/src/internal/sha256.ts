/** SHA-256 of UTF-8 text as lower-case hex: policy versions and pre-parse ids are named by it. */
import { createHash } from 'node:crypto';

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}
