/**
 * Envelope files: a serialized `proofmessenger.v1.Envelope`, as binary protobuf (what `send
 * --save-envelope` and `receive --save-envelopes` write) or as its base64 text (what travels in
 * e-mail, tickets and JSON). Reading accepts both; `-` reads standard input.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { fromBinary, toBinary } from '@bufbuild/protobuf';
import { type Envelope, EnvelopeSchema } from '@proof-messenger/proto';
import { CliError } from './cli-error.ts';
import type { CliIo } from './command.ts';
import { ExitCode } from './exit-code.ts';

/** Base64 (standard or url-safe, padded or not) with any whitespace. */
const BASE64_TEXT = /^[A-Za-z0-9+/_=\s-]+$/;

/**
 * Reads and decodes an envelope file.
 * @throws CliError (NOT_FOUND) for a missing file, (FAILURE) for bytes that are no envelope
 */
export async function readEnvelopeFile(io: CliIo, path: string): Promise<Envelope> {
  let bytes: Uint8Array;
  try {
    bytes = path === '-' ? await io.readStdin() : await readFile(path);
  } catch (error) {
    throw new CliError(ExitCode.NOT_FOUND, `cannot read the envelope file ${path}`, {
      cause: error,
    });
  }
  const text = Buffer.from(bytes).toString('latin1');
  if (bytes.length > 0 && BASE64_TEXT.test(text)) {
    bytes = new Uint8Array(Buffer.from(text.replace(/\s+/g, ''), 'base64'));
  }
  try {
    return fromBinary(EnvelopeSchema, bytes);
  } catch (error) {
    throw new CliError(
      ExitCode.FAILURE,
      `${path} is not an envelope (a proofmessenger.v1.Envelope, binary or base64)`,
      { cause: error },
    );
  }
}

/** Writes an envelope as binary protobuf. */
export async function writeEnvelopeFile(path: string, envelope: Envelope): Promise<void> {
  await writeFile(path, toBinary(EnvelopeSchema, envelope));
}
