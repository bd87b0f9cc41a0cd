/**
 * Notices to senders — delivered, expired, dead-lettered — travel as ordinary queue messages in
 * the sender's own queue. Their message id is derived from (kind, sender, original message id), so
 * producing the same notice twice (a retried ack, two sweepers) stores it once.
 */
import { create, toBinary } from '@bufbuild/protobuf';
import type { CryptoProvider } from '@proof-messenger/crypto';
import { type DeliveryReceipt, NoticeKind, NoticeSchema } from '@proof-messenger/proto';
import { derivedMessageId } from '@proof-messenger/protocol';
import type { QueueEvent, QueueMessage } from '@proof-messenger/queue';
import type { EnvelopeProcessorContext } from './context.ts';

const PLATFORM_SENDER = 'platform';

/** The notice's message id, derived from its identity (see derivedMessageId). */
export function noticeId(
  provider: CryptoProvider,
  kind: NoticeKind,
  senderId: string,
  messageId: string,
): string {
  return derivedMessageId(provider, 'proof-messenger/notice/v1', String(kind), senderId, messageId);
}

/** Enqueues a notice about `original` for its sender. */
export async function sendNotice(
  ctx: EnvelopeProcessorContext,
  kind: NoticeKind,
  original: Pick<QueueMessage, 'messageId' | 'senderId' | 'recipientId'>,
  details: { reason?: string; receipt?: DeliveryReceipt } = {},
): Promise<void> {
  const now = ctx.now();
  const notice = create(NoticeSchema, {
    kind,
    messageId: original.messageId,
    recipientId: original.recipientId,
    atMs: BigInt(now),
    reason: details.reason ?? '',
    receipt: details.receipt,
  });
  await ctx.queue.enqueue(
    {
      messageId: noticeId(ctx.provider, kind, original.senderId, original.messageId),
      senderId: PLATFORM_SENDER,
      recipientId: original.senderId,
      priority: 2,
      expiresAtMs: now + ctx.config.defaultTtlMs,
      body: toBinary(NoticeSchema, notice),
      kind: 'notice',
    },
    now,
  );
}

/**
 * Turns what the queue did on its own into notices, and audits each (`message.expired`,
 * `message.dead_lettered`) once its notice is stored. Notices never cause notices, and neither do
 * subscribers' copies of channel messages (a publisher is not told about each subscriber).
 */
export async function noticesFor(
  ctx: EnvelopeProcessorContext,
  events: readonly QueueEvent[],
): Promise<void> {
  for (const event of events) {
    if (event.message.kind !== 'envelope') continue;
    const kind = event.type === 'expired' ? NoticeKind.EXPIRED : NoticeKind.DEAD_LETTERED;
    const reason =
      event.type === 'expired'
        ? 'time to live passed before the recipient acknowledged'
        : `not acknowledged after ${event.deliveryCount} deliveries`;
    await sendNotice(ctx, kind, event.message, { reason });
    ctx.audit.queueEvent(event, reason);
  }
}
