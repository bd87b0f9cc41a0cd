/**
 * Opens the NATS JetStream queue for distributed mode. Kept in its own module (loaded only when
 * NATS_URL is set) so the embedded platform never loads the NATS client.
 */

import { UnavailableError } from '@proof-messenger/errors';
import type { MessageQueue, QueueSettings } from '@proof-messenger/queue';

/** Connects to NATS and returns the JetStream adapter of the queue port. */
export async function openJetStreamQueue(
  natsUrl: string,
  settings: QueueSettings,
): Promise<MessageQueue> {
  const queue = await import('@proof-messenger/queue');
  const open = (queue as Record<string, unknown>).openJetStreamMessageQueue;
  if (typeof open !== 'function') {
    throw new UnavailableError(
      'this build has no JetStream queue adapter; run the embedded mode (unset NATS_URL)',
    );
  }
  return (open as (url: string, settings: QueueSettings) => Promise<MessageQueue>)(
    natsUrl,
    settings,
  );
}
