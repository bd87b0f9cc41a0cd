/**
 * The JetStream queue against the MessageQueue contract on the machine's NATS (2.9), on the wall
 * clock (leases run on the server). Every case gets its own stream and subject prefix and deletes
 * its streams afterwards, so nothing else on the shared server is touched.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_QUEUE_SETTINGS,
  JetStreamMessageQueue,
  type JetStreamMessageQueueOptions,
  type MessageQueue,
  type QueueSettings,
} from '../src/index.ts';
import { formatDeliveryId } from '../src/internal/jetstream-delivery-id.ts';
import { consumerName, recipientToken } from '../src/internal/jetstream-layout.ts';
import { natsUrl, requireNats } from '../src/require-nats.ts';
import { describeMessageQueueContract } from './contract/message-queue.contract.ts';

const nats = await requireNats();
if (!nats.available) console.warn(`skipping the JetStream queue tests: ${nats.reason}`);

function uniqueNames(): Required<
  Pick<JetStreamMessageQueueOptions, 'streamPrefix' | 'subjectPrefix'>
> {
  const id = `${process.pid.toString(36)}${randomBytes(4).toString('hex')}`;
  return { streamPrefix: `PMT_${id}_`, subjectPrefix: `pmt.${id}` };
}

async function deleteStreams(nc: NatsConnection, streamPrefix: string): Promise<void> {
  const jsm = await jetstreamManager(nc);
  for await (const name of jsm.streams.names()) {
    if (name.startsWith(streamPrefix)) await jsm.streams.delete(name);
  }
}

async function openQueue(settings: QueueSettings, names: ReturnType<typeof uniqueNames>) {
  const nc = await connect({ servers: natsUrl() });
  const queue = await JetStreamMessageQueue.open(nc, {
    settings,
    ...names,
    retentionMs: 3_600_000,
    deadLetterRetentionMs: 3_600_000,
    inactiveThresholdMs: 60_000,
    pollIntervalMs: 100,
  });
  return { nc, queue };
}

// Outside CI without NATS the suite is reported as skipped (the warning above says why).
describe.skipIf(!nats.available)('JetStream adapter', () => {
  describeMessageQueueContract('jetstream', async (settings) => {
    const names = uniqueNames();
    let { nc, queue } = await openQueue(settings, names);
    let current: MessageQueue = queue;
    return {
      queue,
      clock: { now: () => Date.now(), advance: (ms: number) => sleep(ms) },
      reopen: async () => {
        await current.close();
        await nc.close();
        ({ nc, queue } = await openQueue(settings, names));
        current = queue;
        return queue;
      },
      cleanup: async () => {
        await current.close();
        await deleteStreams(nc, names.streamPrefix);
        await nc.close();
      },
    };
  });

  describe('JetStreamMessageQueue specifics', () => {
    it('refuses a forged delivery id that points at another recipient message in the same partition', async () => {
      const names = uniqueNames();
      const settings = { ...DEFAULT_QUEUE_SETTINGS, partitions: 1 };
      const { nc, queue } = await openQueue(settings, names);
      try {
        const now = Date.now();
        const base = {
          senderId: 's',
          priority: 2 as const,
          expiresAtMs: now + 60_000,
          kind: 'envelope' as const,
        };
        await queue.enqueue(
          { ...base, messageId: 'a1', recipientId: 'alice', body: new Uint8Array([1]) },
          now,
        );
        await queue.enqueue(
          { ...base, messageId: 'b1', recipientId: 'bob', body: new Uint8Array([2]) },
          now,
        );
        const [mine] = (await queue.receive('bob', { max: 1, waitMs: 0 }, now)).deliveries;
        expect(mine?.message.messageId).toBe('b1');
        // Bob's own consumer, but the stream sequence of Alice's message (1).
        const stream = `${names.streamPrefix}Q_0`;
        const forged = formatDeliveryId(
          now,
          `$JS.ACK.${stream}.${consumerName(recipientToken('bob'), 2)}.1.1.1.1.0`,
        );
        await expect(queue.ack('bob', forged, now)).rejects.toMatchObject({
          name: 'NotFoundError',
        });
        const otherStream = formatDeliveryId(
          now,
          `$JS.ACK.OTHER.${consumerName(recipientToken('bob'), 2)}.1.2.1.1.0`,
        );
        await expect(queue.ack('bob', otherStream, now)).rejects.toMatchObject({
          name: 'NotFoundError',
        });
        expect(await queue.depth('alice')).toBe(1);
        expect((await queue.ack('bob', mine?.deliveryId ?? '', now)).messageId).toBe('b1');
      } finally {
        await queue.close();
        await deleteStreams(nc, names.streamPrefix);
        await nc.close();
      }
    });
  });
});
