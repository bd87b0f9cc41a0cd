/**
 * `verify <envelope-file>`: checks a proof offline, against exported key histories, and says who
 * signed it, with which key, when, and — for signed cleartext — exactly what was signed. Exit 0
 * only for a valid proof, so scripts can gate on it.
 */
import { readFile } from 'node:fs/promises';
import { toHex } from '@proof-messenger/crypto';
import { ContentMode, type EnvelopeHeader } from '@proof-messenger/proto';
import { CliError } from '../cli-error.ts';
import type { Command } from '../command.ts';
import { readEnvelopeFile } from '../envelope-file.ts';
import { ExitCode } from '../exit-code.ts';
import { isoTime, jsonContent, jsonLine, priorityName, showContent } from '../format.ts';
import { wantsJson } from '../global-options.ts';
import { type OfflineVerification, verifyOffline } from '../offline-verify.ts';
import { decodePublicKeyHistory, type PublicKeyHistory } from '../public-key-history.ts';

async function readHistory(path: string): Promise<PublicKeyHistory> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new CliError(ExitCode.NOT_FOUND, `cannot read the key file ${path}`, { cause: error });
  }
  try {
    return decodePublicKeyHistory(path, text);
  } catch (error) {
    throw new CliError(ExitCode.USAGE, error instanceof Error ? error.message : String(error), {
      cause: error,
    });
  }
}

function destination(header: EnvelopeHeader): string {
  const { destination: to } = header;
  if (to.case === 'recipientId') return to.value;
  if (to.case === 'channelId') return `channel ${to.value}`;
  return '(none)';
}

function asJson(result: OfflineVerification): Record<string, unknown> {
  const { header, key } = result;
  return {
    valid: result.valid,
    failureReason: result.failureReason,
    failureMessage: result.failureMessage,
    signerId: header?.senderId ?? '',
    keyId: header?.senderKeyId ?? '',
    signedAtMs: Number(header?.createdAtMs ?? 0n),
    ...(header === undefined
      ? {}
      : {
          signedAt: isoTime(header.createdAtMs),
          messageId: header.messageId,
          to: destination(header),
          priority: priorityName(header.priority),
          contentType: header.contentType,
          contentMode:
            header.contentMode === ContentMode.SIGNED_CLEARTEXT ? 'signed-cleartext' : 'encrypted',
        }),
    ...(key === undefined
      ? {}
      : {
          keyStatus: key.status,
          keyValidFromMs: key.notBeforeMs,
          keyValidUntilMs: key.notAfterMs,
        }),
    ...(result.digest === undefined ? {} : { digest: toHex(result.digest) }),
    ...(result.signedContent === undefined
      ? {}
      : { signedContent: jsonContent(result.signedContent) }),
  };
}

function asText(result: OfflineVerification, payloadBytes: number): string {
  const { header, key } = result;
  const lines = result.valid
    ? [`valid: signed by ${header?.senderId}`]
    : [`invalid: ${result.failureReason}: ${result.failureMessage}`];
  if (header !== undefined) {
    if (!result.valid) lines.push(`  claimed signer: ${header.senderId}`);
    lines.push(`  key:        ${header.senderKeyId}${key === undefined ? '' : ` (${key.status})`}`);
    lines.push(`  signed at:  ${isoTime(header.createdAtMs)}`);
    lines.push(
      `  message:    ${header.messageId} to ${destination(header)}, priority ${priorityName(header.priority)}`,
    );
    lines.push(
      header.contentMode === ContentMode.SIGNED_CLEARTEXT
        ? `  content:    signed cleartext, ${payloadBytes} bytes${header.contentType === '' ? '' : `, ${header.contentType}`}`
        : `  content:    encrypted, ${payloadBytes} bytes (only the recipient can read it)`,
    );
  }
  if (result.digest !== undefined) lines.push(`  digest:     ${toHex(result.digest)}`);
  if (result.signedContent !== undefined)
    lines.push('signed content:', showContent(result.signedContent));
  return `${lines.join('\n')}\n`;
}

export const verify: Command = {
  name: 'verify',
  args: '<envelope-file|->',
  arity: [1, 1],
  summary: 'check a proof offline against exported public keys',
  description: `Verifies an envelope (binary, or base64 text; - reads stdin) with no server: both
signatures (ML-DSA-65 and Ed25519) over its exact bytes, with the sender's identity key that was
valid when it was signed, from key files written by \`proof-messenger agent export-public\`.
Prints valid or invalid with the reason, the signer, the key id, the signing time, and for signed
cleartext exactly what was signed. Exits 0 only when the proof is valid, 1 when it is not.

Example:
  proof-messenger verify approval.envelope --keys alice.keys.json`,
  options: {
    keys: {
      type: 'string',
      multiple: true,
      value: '<file>',
      description: 'a public key history (repeat for several signers)',
    },
  },
  groups: ['output'],
  async run({ io, positionals, values }) {
    const files = Array.isArray(values.keys) ? values.keys.map(String) : [];
    if (files.length === 0) {
      throw new CliError(
        ExitCode.USAGE,
        "verify needs --keys <file>: the signer's public key history, written by `proof-messenger agent export-public`",
      );
    }
    const histories: PublicKeyHistory[] = [];
    for (const file of files) histories.push(await readHistory(file));
    const envelope = await readEnvelopeFile(io, positionals[0] ?? '-');
    const result = await verifyOffline(envelope, histories);
    io.stdout(
      wantsJson(values) ? jsonLine(asJson(result)) : asText(result, envelope.payload.length),
    );
    return result.valid ? ExitCode.OK : ExitCode.FAILURE;
  },
};
