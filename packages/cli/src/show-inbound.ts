/**
 * How `receive`, `request` and the notices they meet are printed: one block per message (sender,
 * id, priority, encrypted or signed cleartext, time, the id to reply to, then the content), one
 * line per notice; or one JSON object per item with `--json`. A channel message starts with its
 * channel (`channel news · from alice · …`; `channelId` in JSON, empty for direct messages), and a
 * channel-deleted notice names the channel instead of a message.
 */
import type { DeliveryNotice, InboundItem, ReceivedMessage } from '@proof-messenger/client-sdk';
import { isoTime, jsonContent, jsonLine, priorityName, showContent } from './format.ts';

/** The id a reply must carry: the message's correlation id, or its own id when it had none. */
export function replyTo(message: ReceivedMessage): string {
  return message.correlationId === '' ? message.messageId : message.correlationId;
}

function messageText(message: ReceivedMessage): string {
  const mode = message.cleartext ? 'signed cleartext' : 'encrypted';
  const channel = message.channelId === '' ? '' : `channel ${message.channelId} · `;
  return `${channel}from ${message.senderId} · id ${message.messageId} · priority ${priorityName(message.priority)} · ${mode} · sent ${isoTime(message.createdAtMs)}\nreply-to: ${replyTo(message)}\n${showContent(message.content)}\n`;
}

function noticeText(notice: DeliveryNotice): string {
  if (notice.kind === 'channel-deleted') {
    const reason = notice.reason === '' ? '' : ` · ${notice.reason}`;
    return `notice channel-deleted · channel ${notice.recipientId} · at ${isoTime(notice.atMs)}${reason}\n`;
  }
  const receipt =
    notice.kind === 'delivered'
      ? notice.receiptVerified
        ? ' · receipt verified'
        : ' · receipt NOT verified'
      : '';
  const reason = notice.reason === '' ? '' : ` · ${notice.reason}`;
  return `notice ${notice.kind} · message ${notice.messageId} · recipient ${notice.recipientId}${receipt} · at ${isoTime(notice.atMs)}${reason}\n`;
}

/** The item as the terminal shows it, or as one JSON line. */
export function showInbound(item: InboundItem, json: boolean): string {
  if (item.kind === 'message') {
    if (!json) return messageText(item);
    return jsonLine({
      kind: 'message',
      messageId: item.messageId,
      senderId: item.senderId,
      channelId: item.channelId,
      correlationId: item.correlationId,
      replyTo: replyTo(item),
      priority: priorityName(item.priority),
      contentType: item.contentType,
      cleartext: item.cleartext,
      createdAtMs: item.createdAtMs,
      deliveryCount: item.deliveryCount,
      ...jsonContent(item.content),
    });
  }
  if (!json) return noticeText(item);
  if (item.kind === 'channel-deleted') {
    // The notice is about a channel, not a message: no message id, no receipt.
    return jsonLine({
      kind: 'notice',
      notice: item.kind,
      channelId: item.recipientId,
      atMs: item.atMs,
      reason: item.reason,
    });
  }
  return jsonLine({
    kind: 'notice',
    notice: item.kind,
    messageId: item.messageId,
    recipientId: item.recipientId,
    atMs: item.atMs,
    reason: item.reason,
    receiptVerified: item.receiptVerified,
  });
}
