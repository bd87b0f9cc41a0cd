/**
 * The pinned audit public key: the file `audit key --out` and `audit create-key --public-out`
 * write and `audit prove|consistency|verify --key` read. It is what a verifier trusts, so it
 * should reach the verifier once, out of band (compare its key id with the operator's), and then
 * never be fetched from the server again.
 *
 * Format (JSON, one line):
 *   {"format":"proof-messenger/audit-public-key/v1","keyId":"…","publicKey":"<base64>"}
 * where publicKey is `encodeAuditPublicKey` (ML-DSA-65 public key then Ed25519 public key, 1,984
 * bytes). The key id is recomputed from the bytes when read; a file whose stated key id differs is
 * refused. A file holding only the base64 of those bytes is accepted too.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { decodeAuditPublicKey, encodeAuditPublicKey } from '@proof-messenger/audit-log';
import type { CompositePublicKey } from '@proof-messenger/crypto';
import { fromPublicKeyMessage } from '@proof-messenger/governance/messages';
import type { IdentityPublicKey } from '@proof-messenger/proto';
import { CliError } from './cli-error.ts';
import { ExitCode } from './exit-code.ts';

const FORMAT = 'proof-messenger/audit-public-key/v1';

/** The text of a pinned key file for `key`. */
export function auditPublicKeyFileText(key: CompositePublicKey): string {
  return `${JSON.stringify({
    format: FORMAT,
    keyId: key.keyId,
    publicKey: Buffer.from(encodeAuditPublicKey(key)).toString('base64'),
  })}\n`;
}

/**
 * The audit key a server sent, with its key id recomputed from the key bytes (the id the server
 * states is not trusted).
 */
export function auditKeyFromServer(message: IdentityPublicKey | undefined): CompositePublicKey {
  return decodeAuditPublicKey(encodeAuditPublicKey(fromPublicKeyMessage(message)));
}

/**
 * Writes a pinned key file (mode 0644: it is public).
 * @throws CliError (FAILURE) when it cannot be written
 */
export async function writeAuditPublicKeyFile(
  path: string,
  key: CompositePublicKey,
): Promise<void> {
  try {
    await writeFile(path, auditPublicKeyFileText(key), { mode: 0o644 });
  } catch (error) {
    throw new CliError(ExitCode.FAILURE, `cannot write ${path}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

function malformed(path: string, why: string): CliError {
  return new CliError(
    ExitCode.USAGE,
    `${path} is not an audit public key file (${why}); write one with \`proof-messenger audit key --out ${path}\``,
  );
}

/**
 * Reads a pinned key file.
 * @throws CliError (NOT_FOUND) when it cannot be read, (USAGE) when it is not a key file
 */
export async function readAuditPublicKeyFile(path: string): Promise<CompositePublicKey> {
  let text: string;
  try {
    text = (await readFile(path, 'utf8')).trim();
  } catch (error) {
    throw new CliError(ExitCode.NOT_FOUND, `cannot read the audit key file ${path}`, {
      cause: error,
    });
  }
  let base64 = text;
  let statedKeyId: unknown;
  if (text.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw malformed(path, 'invalid JSON');
    }
    if (typeof parsed !== 'object' || parsed === null || Reflect.get(parsed, 'format') !== FORMAT) {
      throw malformed(path, `format is not ${FORMAT}`);
    }
    const publicKey = Reflect.get(parsed, 'publicKey');
    if (typeof publicKey !== 'string') throw malformed(path, 'no publicKey');
    base64 = publicKey;
    statedKeyId = Reflect.get(parsed, 'keyId');
  }
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(base64)) throw malformed(path, 'publicKey is not base64');
  let key: CompositePublicKey;
  try {
    key = decodeAuditPublicKey(new Uint8Array(Buffer.from(base64, 'base64')));
  } catch (error) {
    throw malformed(path, (error as Error).message);
  }
  if (statedKeyId !== undefined && statedKeyId !== key.keyId) {
    throw malformed(
      path,
      `it states key id ${String(statedKeyId)} but its key bytes are ${key.keyId}`,
    );
  }
  return key;
}
