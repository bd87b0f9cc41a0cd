/**
 * VerifyEnvelope (the proof-of-intent use case): is this envelope a valid proof, who signed it,
 * when, with which key (valid at that time), and — for signed cleartext — exactly what was signed.
 * An invalid envelope is an answer (`valid: false` with the reason), not an error; only a request
 * that carries no envelope at all is refused.
 */

import { InvalidArgumentError, ProofMessengerError, Reason } from '@proof-messenger/errors';
import { ContentMode, type VerifyEnvelopeRequest } from '@proof-messenger/proto';
import { parseEnvelope, verifyEnvelope as verify } from '@proof-messenger/protocol';
import type { HandlerContext } from '@proof-messenger/rpc';
import { callerOf, type EnvelopeProcessorContext } from '../context.ts';

export function verifyEnvelope(ctx: EnvelopeProcessorContext) {
  return async (request: VerifyEnvelopeRequest, call: HandlerContext) => {
    await callerOf(ctx, call);
    if (request.envelope === undefined)
      throw new InvalidArgumentError('envelope is required', { field: 'envelope' });
    let parsed: ReturnType<typeof parseEnvelope> | undefined;
    try {
      parsed = parseEnvelope(request.envelope);
      const { header } = parsed;
      const key = await ctx.directory.keyAt(
        header.senderId,
        header.senderKeyId,
        Number(header.createdAtMs),
      );
      const verified = await verify(ctx.provider, parsed, key.publicKey);
      return {
        valid: true,
        signerId: header.senderId,
        signedAtMs: header.createdAtMs,
        signerKey: {
          keyId: key.publicKey.keyId,
          mlDsa65: key.publicKey.mlDsa65,
          ed25519: key.publicKey.ed25519,
        },
        keyValidity: {
          notBeforeMs: BigInt(key.notBeforeMs),
          notAfterMs: BigInt(key.notAfterMs ?? 0),
        },
        header,
        signedContent:
          header.contentMode === ContentMode.SIGNED_CLEARTEXT
            ? request.envelope.payload
            : new Uint8Array(0),
        envelopeDigest: verified.digest,
      };
    } catch (error) {
      if (
        !(error instanceof ProofMessengerError) ||
        error.reason === Reason.UNAVAILABLE ||
        error.reason === Reason.INTERNAL
      )
        throw error;
      return {
        valid: false,
        failureReason: error.reason,
        failureMessage: error.message,
        signerId: parsed?.header.senderId ?? '',
        signedAtMs: parsed?.header.createdAtMs ?? 0n,
        header: parsed?.header,
      };
    }
  };
}
