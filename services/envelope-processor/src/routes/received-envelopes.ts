/**
 * The envelopes of a SendMessage or SendMessages request as the client encoded them. The queue
 * stores an envelope as bytes; taking them from the request saves encoding each one again
 * (~12 µs and ~10 KB of garbage per 4.7 KB envelope, measured), and the recipient decodes exactly
 * what the sender sent. Both requests carry their envelopes in field 1 (one, or repeated), so
 * one walk over the request's top-level fields with protobuf-es's own reader finds them.
 *
 * The walk reads field 1 the way protobuf-es's decoder does: as a length-prefixed message
 * whatever wire type its tag claims (the decoder does not check it for message fields). A walk
 * that skipped a mistyped tag by its wire type would fall out of step with the decoder, and could
 * hand back bytes that are not the envelope that was checked (the fuzz test found one).
 * `storedEnvelope` is the second line of defence: the bytes are used only if they decode to the
 * checked envelope's header, payload and signatures; otherwise the envelope is encoded again.
 */
import { Buffer } from 'node:buffer';
import { fromBinary, toBinary } from '@bufbuild/protobuf';
import { BinaryReader } from '@bufbuild/protobuf/wire';
import { type Envelope, EnvelopeSchema } from '@proof-messenger/proto';

const ENVELOPES_FIELD = 1;

/**
 * The raw field-1 messages of `request`, in order; undefined when the request bytes are not
 * known or do not hold `expected` of them (the caller then encodes the decoded envelopes).
 */
export function receivedEnvelopes(
  request: Uint8Array | undefined,
  expected: number,
): Uint8Array[] | undefined {
  if (request === undefined) return undefined;
  const found: Uint8Array[] = [];
  try {
    const reader = new BinaryReader(request);
    while (reader.pos < reader.len) {
      const [field, wireType] = reader.tag();
      if (field === ENVELOPES_FIELD) found.push(reader.bytes());
      else reader.skip(wireType, field);
    }
  } catch {
    return undefined; // cannot happen for bytes that decoded; fall back to encoding
  }
  return found.length === expected ? found : undefined;
}

/**
 * The bytes to store for the checked `envelope`: `received` when it decodes to the same header,
 * payload and signature (key id and both components), else a fresh encoding.
 */
export function storedEnvelope(envelope: Envelope, received: Uint8Array | undefined): Uint8Array {
  if (received !== undefined && sameEnvelope(envelope, received)) return received;
  return toBinary(EnvelopeSchema, envelope);
}

function sameEnvelope(envelope: Envelope, bytes: Uint8Array): boolean {
  let decoded: Envelope;
  try {
    decoded = fromBinary(EnvelopeSchema, bytes);
  } catch {
    return false;
  }
  const a = envelope.signature;
  const b = decoded.signature;
  return (
    sameBytes(decoded.header, envelope.header) &&
    sameBytes(decoded.payload, envelope.payload) &&
    a !== undefined &&
    b !== undefined &&
    b.keyId === a.keyId &&
    sameBytes(b.mlDsa65, a.mlDsa65) &&
    sameBytes(b.ed25519, a.ed25519)
  );
}

/**
 * Byte equality of public data. Usually both are views of the same request bytes (the decoder
 * read the envelope from exactly this slice), which settles it without reading them; otherwise
 * memcmp (a JavaScript loop over 4.7 KB per envelope measured tens of µs).
 */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  if (a.buffer === b.buffer && a.byteOffset === b.byteOffset) return true;
  return Buffer.from(a.buffer, a.byteOffset, a.length).equals(
    Buffer.from(b.buffer, b.byteOffset, b.length),
  );
}
