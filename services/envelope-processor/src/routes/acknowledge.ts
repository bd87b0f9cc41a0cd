/**
 * Acknowledge: the delivery is done for good. With a receipt (the recipient's signed statement that
 * it received exactly this envelope), the sender gets a DELIVERED notice carrying it: a proof of
 * receipt anyone can verify with the recipient's public key.
 *
 * Audited as `message.acknowledged` (actor the recipient) for direct messages, with
 * `details.receipt` none / valid / invalid.
 */
import { create, fromBinary } from '@bufbuild/protobuf';
import { requireAgent } from '@proof-messenger/auth';
import { equalBytes } from '@proof-messenger/crypto';
import { InvalidArgumentError } from '@proof-messenger/errors';
import {
  type AcknowledgeRequest,
  DeliveryReceiptBodySchema,
  EnvelopeSchema,
  NoticeKind,
  SignedStatementSchema,
} from '@proof-messenger/proto';
import { envelopeDigest, verifyStatement } from '@proof-messenger/protocol';
import type { HandlerContext } from '@proof-messenger/rpc';
import { callerOf, type EnvelopeProcessorContext } from '../context.ts';
import { sendNotice } from '../notices.ts';

export function acknowledge(ctx: EnvelopeProcessorContext) {
  return async (request: AcknowledgeRequest, call: HandlerContext) => {
    const caller = requireAgent(await callerOf(ctx, call), 'acknowledge deliveries');
    if (request.deliveryId === '' || request.deliveryId.length > 512) {
      throw new InvalidArgumentError('delivery_id is required (the id from Delivery.delivery_id)', {
        field: 'delivery_id',
      });
    }
    const receipt = request.receipt;
    const receiptKey =
      receipt === undefined
        ? undefined
        : await ctx.directory.keyAt(caller.agentId, receipt.signature?.keyId ?? '', ctx.now());
    const message = await ctx.queue.ack(caller.agentId, request.deliveryId, ctx.now());
    if (message.kind !== 'envelope') return {};
    if (receipt === undefined || receiptKey === undefined) {
      ctx.audit.acknowledged(message, 'none');
      return {};
    }
    const envelope = fromBinary(EnvelopeSchema, message.body);
    const digest = envelopeDigest(ctx.provider, envelope.header, envelope.payload);
    let checked: 'valid' | 'invalid' = 'invalid';
    try {
      // The message is acknowledged either way; a bad receipt is reported but never un-acks.
      const body = await verifyStatement(
        ctx.provider,
        DeliveryReceiptBodySchema,
        create(SignedStatementSchema, { body: receipt.body, signature: receipt.signature }),
        receiptKey.publicKey,
        'receipt',
      );
      if (
        body.messageId !== message.messageId ||
        body.recipientId !== caller.agentId ||
        body.senderId !== message.senderId ||
        !equalBytes(body.envelopeDigest, digest)
      ) {
        throw new InvalidArgumentError(
          'receipt must name this message, its sender, you as recipient, and the digest of the envelope you received',
          {
            field: 'receipt',
          },
        );
      }
      checked = 'valid';
    } finally {
      ctx.audit.acknowledged(message, checked, digest);
    }
    await sendNotice(ctx, NoticeKind.DELIVERED, message, { receipt });
    return {};
  };
}
