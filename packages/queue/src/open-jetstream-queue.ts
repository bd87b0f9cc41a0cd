/**
 * Opens the NATS JetStream queue for distributed mode: connects to NATS_URL and creates the
 * partition and dead-letter streams when missing (so `start` is also the documented "create the
 * streams" step; see docs/queues.md). Exported as `@proof-messenger/queue/nats` and imported
 * only when NATS_URL is set, so the embedded platform never loads the NATS client.
 */
import { connect } from '@nats-io/transport-node';
import { UnavailableError } from '@proof-messenger/errors';
import { JetStreamMessageQueue } from './jetstream-message-queue.ts';
import type { MessageQueue, QueueSettings } from './message-queue.ts';

export interface JetStreamQueueOptions {
  readonly settings: QueueSettings;
  /** Stream name prefix (default `PM_`), to run several deployments on one NATS. */
  readonly streamPrefix?: string;
  /** Subject prefix (default `pm`). */
  readonly subjectPrefix?: string;
  /** Connection name shown by NATS monitoring, e.g. the service's name. */
  readonly name: string;
}

/** The JetStream queue and a close that also drains the connection. */
export async function openJetStreamQueue(
  natsUrl: string,
  options: JetStreamQueueOptions,
): Promise<{ queue: MessageQueue; close(): Promise<void> }> {
  let nc: Awaited<ReturnType<typeof connect>>;
  try {
    nc = await connect({
      servers: natsUrl.split(','),
      name: options.name,
      maxReconnectAttempts: -1,
      // nats.js otherwise builds an Error (a captured stack) for every request, a publish
      // included, in case it fails: ~7 % of the event loop per envelope in bench:ep distributed.
      // Errors still carry their message and cause; only the caller's async frames are gone.
      noAsyncTraces: true,
    });
  } catch (cause) {
    throw new UnavailableError(`cannot connect to NATS at ${natsUrl}`, { cause });
  }
  const queue = await JetStreamMessageQueue.open(nc, {
    settings: options.settings,
    streamPrefix: options.streamPrefix,
    subjectPrefix: options.subjectPrefix,
  });
  return {
    queue,
    close: async () => {
      await queue.close();
      await nc.drain();
    },
  };
}
