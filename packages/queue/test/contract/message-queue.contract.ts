/**
 * The MessageQueue contract: one suite every adapter must pass (embedded SQLite and NATS
 * JetStream). The factory hands out a fresh, isolated queue per case with the given settings, a
 * clock and a way to reopen the queue over the same data.
 *
 * Time: the port takes `nowMs` on every call. The embedded adapter gets a fake clock that
 * `advance` moves instantly; JetStream, whose lease timers run on the server in real time, gets
 * the wall clock and `advance` really sleeps. Cases that wait for a redelivery therefore receive
 * with a generous `waitMs` (returns at once when the message is ready) and use short settings
 * (REDELIVERY_SETTINGS) so the real-time run stays short.
 */
import { NotFoundError } from '@proof-messenger/errors';
import { describe, expect, it } from 'vitest';
import { deliveryNotFound } from '../../src/internal/delivery-not-found.ts';
import { redeliveryAfterMs } from '../../src/internal/queue-checks.ts';
import type {
  MessageQueue,
  QueueDelivery,
  QueueEvent,
  QueueMessage,
  QueuePriority,
  QueueSettings,
} from '../../src/message-queue.ts';
import { partitionOf } from '../../src/partition-of.ts';

/** The clock a case runs on. */
export interface ContractClock {
  /** The `nowMs` to pass to the queue. */
  now(): number;
  /** Moves time on by `ms` (a fake clock jumps; a real one sleeps). */
  advance(ms: number): Promise<void>;
}

/** One queue under test. */
export interface QueueUnderTest {
  readonly queue: MessageQueue;
  readonly clock: ContractClock;
  /** Closes the current queue and opens a new instance over the same data. */
  reopen(): Promise<MessageQueue>;
  /** Closes whatever is open and deletes everything the case created. */
  cleanup(): Promise<void>;
}

/** Builds a fresh, isolated queue with `settings`. */
export type QueueFactory = (settings: QueueSettings) => Promise<QueueUnderTest>;

/** Long leases: cases that must not see redeliveries. */
export const CALM_SETTINGS: QueueSettings = {
  partitions: 4,
  ackWaitMs: 30_000,
  maxDeliveries: 5,
  backoffMs: [1_000, 5_000],
};

/** Short leases, so redelivery cases also run fast on a real clock. */
export const REDELIVERY_SETTINGS: QueueSettings = {
  partitions: 4,
  ackWaitMs: 300,
  maxDeliveries: 5,
  backoffMs: [100, 200],
};

/** Long enough for a server-side redelivery to arrive on a loaded 2-core machine. */
const SETTLE_MS = 3_000;

let counter = 0;

function uniqueId(label: string): string {
  counter += 1;
  return `${label}-${process.pid}-${Date.now().toString(36)}-${counter}`;
}

/** A test message; priorities as `proofmessenger.v1.Priority`: LOW 1, NORMAL 2, HIGH 3, CRITICAL 4. */
function message(
  recipientId: string,
  messageId: string,
  priority: QueuePriority,
  expiresAtMs: number,
  senderId = 'sender-1',
): QueueMessage {
  return {
    messageId,
    senderId,
    recipientId,
    priority,
    expiresAtMs,
    body: new TextEncoder().encode(`body of ${messageId}`),
    kind: 'envelope',
  };
}

const HOUR = 3_600_000;

/** Receives until `count` deliveries arrived or `waitMs` passed (real time). */
async function receiveUntil(
  queue: MessageQueue,
  recipientId: string,
  count: number,
  clock: ContractClock,
  waitMs = SETTLE_MS,
): Promise<QueueDelivery[]> {
  const deadline = Date.now() + waitMs;
  const got: QueueDelivery[] = [];
  while (got.length < count) {
    const left = deadline - Date.now();
    if (left <= 0) break;
    const { deliveries } = await queue.receive(
      recipientId,
      { max: Math.min(count - got.length, 250), waitMs: left },
      clock.now(),
    );
    got.push(...deliveries);
  }
  return got;
}

function ids(deliveries: readonly QueueDelivery[]): string[] {
  return deliveries.map((d) => d.message.messageId);
}

function eventSummary(events: readonly QueueEvent[]) {
  return events.map((e) => ({
    type: e.type,
    messageId: e.message.messageId,
    deliveryCount: e.deliveryCount,
  }));
}

/** Registers the contract cases for one adapter. */
export function describeMessageQueueContract(name: string, factory: QueueFactory): void {
  async function withQueue(
    settings: QueueSettings,
    run: (t: QueueUnderTest) => Promise<void>,
  ): Promise<void> {
    const t = await factory(settings);
    try {
      await run(t);
    } finally {
      await t.cleanup();
    }
  }

  describe(`MessageQueue contract: ${name}`, () => {
    it('delivers CRITICAL before 1,000 earlier NORMAL ones, then HIGH, NORMAL, LOW, FIFO within each', async () => {
      await withQueue(CALM_SETTINGS, async ({ queue, clock }) => {
        const r = uniqueId('prio');
        const exp = clock.now() + HOUR;
        const normal = Array.from({ length: 1000 }, (_, i) => `n${String(i).padStart(4, '0')}`);
        for (const id of normal) await queue.enqueue(message(r, id, 2, exp), clock.now());
        for (const id of ['l0', 'l1']) await queue.enqueue(message(r, id, 1, exp), clock.now());
        for (const id of ['h0', 'h1']) await queue.enqueue(message(r, id, 3, exp), clock.now());
        await queue.enqueue(message(r, 'c0', 4, exp), clock.now());

        const first = await queue.receive(r, { max: 1, waitMs: 0 }, clock.now());
        expect(ids(first.deliveries)).toEqual(['c0']);
        expect(first.events).toEqual([]);

        const rest = await receiveUntil(queue, r, 1004, clock);
        expect(ids(rest)).toEqual(['h0', 'h1', ...normal, 'l0', 'l1']);
        expect(rest.every((d) => d.deliveryCount === 1)).toBe(true);
      });
    });

    it('keeps each message kind (envelope, channel copy, notice) through delivery and expiry', async () => {
      await withQueue(CALM_SETTINGS, async ({ queue, clock }) => {
        const r = uniqueId('kinds');
        const exp = clock.now() + HOUR;
        for (const kind of ['envelope', 'channel', 'notice'] as const) {
          await queue.enqueue({ ...message(r, kind, 2, exp), kind }, clock.now());
        }
        await queue.enqueue(
          { ...message(r, 'short-channel', 2, clock.now() + 300), kind: 'channel' },
          clock.now(),
        );
        await clock.advance(400);
        const got = await queue.receive(r, { max: 10, waitMs: 0 }, clock.now());
        expect(got.deliveries.map((d) => [d.message.messageId, d.message.kind])).toEqual([
          ['envelope', 'envelope'],
          ['channel', 'channel'],
          ['notice', 'notice'],
        ]);
        expect(got.events.map((e) => [e.message.messageId, e.message.kind])).toEqual([
          ['short-channel', 'channel'],
        ]);
      });
    });

    it('never delivers an expired message and reports it once, through receive', async () => {
      await withQueue(CALM_SETTINGS, async ({ queue, clock }) => {
        const r = uniqueId('ttl');
        await queue.enqueue(message(r, 'short', 4, clock.now() + 300), clock.now());
        await queue.enqueue(message(r, 'long', 3, clock.now() + HOUR), clock.now());
        await clock.advance(400);

        const got = await queue.receive(r, { max: 10, waitMs: 0 }, clock.now());
        expect(ids(got.deliveries)).toEqual(['long']);
        expect(eventSummary(got.events)).toEqual([
          { type: 'expired', messageId: 'short', deliveryCount: 0 },
        ]);
        const [event] = got.events;
        expect(event?.message.body).toEqual(new TextEncoder().encode('body of short'));
        expect(event?.message.senderId).toBe('sender-1');
        expect(event?.message.recipientId).toBe(r);

        const again = await queue.receive(r, { max: 10, waitMs: 0 }, clock.now());
        expect(again).toEqual({ deliveries: [], events: [] });
        expect(await queue.collectExpired(clock.now(), 100)).toEqual([]);
        expect(await queue.depth(r)).toBe(1);
      });
    });

    it('reports a message that expired while nobody received once, through collectExpired', async () => {
      await withQueue(CALM_SETTINGS, async ({ queue, clock }) => {
        const r = uniqueId('ttl-offline');
        await queue.enqueue(message(r, 'gone', 2, clock.now() + 300), clock.now());
        await queue.enqueue(message(r, 'kept', 2, clock.now() + HOUR), clock.now());
        await clock.advance(400);

        const events = await queue.collectExpired(clock.now(), 100);
        expect(eventSummary(events)).toEqual([
          { type: 'expired', messageId: 'gone', deliveryCount: 0 },
        ]);
        expect(await queue.collectExpired(clock.now(), 100)).toEqual([]);
        const got = await queue.receive(r, { max: 10, waitMs: 0 }, clock.now());
        expect(ids(got.deliveries)).toEqual(['kept']);
        expect(got.events).toEqual([]);
      });
    });

    it('redelivers after a missed ack with deliveryCount 2; the old delivery id is dead', async () => {
      await withQueue(REDELIVERY_SETTINGS, async ({ queue, clock }) => {
        const r = uniqueId('redeliver');
        await queue.enqueue(message(r, 'm1', 3, clock.now() + HOUR), clock.now());
        const [first] = await receiveUntil(queue, r, 1, clock);
        expect(first?.deliveryCount).toBe(1);
        expect(await queue.receive(r, { max: 1, waitMs: 0 }, clock.now())).toEqual({
          deliveries: [],
          events: [],
        });

        await clock.advance(redeliveryAfterMs(REDELIVERY_SETTINGS, 1));
        const [second] = await receiveUntil(queue, r, 1, clock);
        expect(second?.message.messageId).toBe('m1');
        expect(second?.deliveryCount).toBe(2);
        expect(second?.deliveryId).not.toBe(first?.deliveryId);

        const stale = first?.deliveryId ?? '';
        await expect(queue.ack(r, stale, clock.now())).rejects.toThrowError(
          deliveryNotFound(r, stale),
        );
        const acked = await queue.ack(r, second?.deliveryId ?? '', clock.now());
        expect(acked.messageId).toBe('m1');
        expect(acked.body).toEqual(new TextEncoder().encode('body of m1'));
        expect(await queue.depth(r)).toBe(0);
        await expect(queue.ack(r, second?.deliveryId ?? '', clock.now())).rejects.toBeInstanceOf(
          NotFoundError,
        );
      });
    });

    it('nack makes a delivery available again after its delay', async () => {
      await withQueue(REDELIVERY_SETTINGS, async ({ queue, clock }) => {
        const r = uniqueId('nack');
        await queue.enqueue(message(r, 'm1', 3, clock.now() + HOUR), clock.now());
        const [first] = await receiveUntil(queue, r, 1, clock);
        await queue.nack(r, first?.deliveryId ?? '', 500, clock.now());
        expect(await queue.receive(r, { max: 1, waitMs: 0 }, clock.now())).toEqual({
          deliveries: [],
          events: [],
        });

        await clock.advance(500);
        const [second] = await receiveUntil(queue, r, 1, clock);
        expect(second?.message.messageId).toBe('m1');
        expect(second?.deliveryCount).toBe(2);
        await expect(queue.ack(r, first?.deliveryId ?? '', clock.now())).rejects.toBeInstanceOf(
          NotFoundError,
        );

        await queue.nack(r, second?.deliveryId ?? '', 0, clock.now());
        const [third] = await receiveUntil(queue, r, 1, clock);
        expect(third?.deliveryCount).toBe(3);
        expect((await queue.ack(r, third?.deliveryId ?? '', clock.now())).messageId).toBe('m1');
      });
    });

    it('dead-letters after maxDeliveries unacknowledged deliveries and reports it', async () => {
      await withQueue(REDELIVERY_SETTINGS, async ({ queue, clock }) => {
        const r = uniqueId('dlq');
        const m = message(r, 'doomed', 3, clock.now() + HOUR);
        await queue.enqueue(m, clock.now());
        for (let n = 1; n <= 5; n++) {
          const [d] = await receiveUntil(queue, r, 1, clock);
          expect(d?.deliveryCount).toBe(n);
          await clock.advance(redeliveryAfterMs(REDELIVERY_SETTINGS, n));
        }
        const deadline = Date.now() + SETTLE_MS;
        let events: QueueEvent[] = [];
        while (events.length === 0 && Date.now() < deadline) {
          const got = await queue.receive(r, { max: 1, waitMs: 500 }, clock.now());
          expect(got.deliveries).toEqual([]);
          events = got.events;
        }
        expect(eventSummary(events)).toEqual([
          { type: 'dead-lettered', messageId: 'doomed', deliveryCount: 5 },
        ]);
        expect(events[0]?.message).toEqual(m);
        expect(await queue.deadLetters(r, 10)).toEqual([m]);
        expect(await queue.depth(r)).toBe(0);
        expect(await queue.stats(r)).toEqual({
          ready: { low: 0, normal: 0, high: 0, critical: 0 },
          inFlight: 0,
          deadLettered: 1,
        });
        expect(await queue.receive(r, { max: 1, waitMs: 0 }, clock.now())).toEqual({
          deliveries: [],
          events: [],
        });
        expect(await queue.collectExpired(clock.now(), 10)).toEqual([]);
      });
    });

    it('keeps messages for an offline recipient and delivers them all later', async () => {
      await withQueue(CALM_SETTINGS, async ({ queue, clock }) => {
        const r = uniqueId('offline');
        const sent: string[] = [];
        for (let i = 0; i < 20; i++) {
          const id = `m${String(i).padStart(2, '0')}`;
          sent.push(id);
          await queue.enqueue(
            message(r, id, 3, clock.now() + HOUR, `sender-${i % 3}`),
            clock.now(),
          );
        }
        expect(await queue.depth(r)).toBe(20);
        await clock.advance(1_000);
        const got = await receiveUntil(queue, r, 20, clock);
        expect(ids(got)).toEqual(sent);
        for (const d of got) await queue.ack(r, d.deliveryId, clock.now());
        expect(await queue.depth(r)).toBe(0);
      });
    });

    it('stores a retried (sender, message id) once and answers duplicate with the same partition', async () => {
      await withQueue(CALM_SETTINGS, async ({ queue, clock }) => {
        const r = uniqueId('dup');
        const m = message(r, 'once', 3, clock.now() + HOUR);
        const first = await queue.enqueue(m, clock.now());
        await clock.advance(10);
        const second = await queue.enqueue(m, clock.now());
        expect(first.duplicate).toBe(false);
        expect(second).toEqual({
          partition: first.partition,
          duplicate: true,
          enqueuedAtMs: first.enqueuedAtMs,
        });
        expect(first.partition).toBe(partitionOf(r, CALM_SETTINGS.partitions));
        expect(await queue.depth(r)).toBe(1);

        const got = await queue.receive(r, { max: 10, waitMs: 0 }, clock.now());
        expect(ids(got.deliveries)).toEqual(['once']);
        await queue.ack(r, got.deliveries[0]?.deliveryId ?? '', clock.now());
        expect(await queue.receive(r, { max: 10, waitMs: 0 }, clock.now())).toEqual({
          deliveries: [],
          events: [],
        });
      });
    });

    it("isolates recipients: B cannot receive, ack or nack A's messages", async () => {
      await withQueue(CALM_SETTINGS, async ({ queue, clock }) => {
        const a = uniqueId('alice');
        const b = uniqueId('bob');
        await queue.enqueue(message(a, 'for-a', 3, clock.now() + HOUR), clock.now());
        expect(await queue.receive(b, { max: 10, waitMs: 0 }, clock.now())).toEqual({
          deliveries: [],
          events: [],
        });
        expect(await queue.depth(b)).toBe(0);

        const [d] = (await queue.receive(a, { max: 10, waitMs: 0 }, clock.now())).deliveries;
        const id = d?.deliveryId ?? '';
        await expect(queue.ack(b, id, clock.now())).rejects.toThrowError(deliveryNotFound(b, id));
        await expect(queue.nack(b, id, 0, clock.now())).rejects.toThrowError(
          deliveryNotFound(b, id),
        );
        await expect(queue.ack(b, 'not-a-delivery-id', clock.now())).rejects.toThrowError(
          deliveryNotFound(b, 'not-a-delivery-id'),
        );
        const err = await queue.ack(b, id, clock.now()).catch((e: unknown) => e);
        expect(err).toMatchObject({ name: 'NotFoundError', code: 5, field: 'deliveryId' });

        expect(await queue.depth(a)).toBe(1);
        expect((await queue.ack(a, id, clock.now())).messageId).toBe('for-a');
        expect(await queue.depth(a)).toBe(0);
      });
    });

    it('counts waiting messages with depth, leased ones included, until acked', async () => {
      await withQueue(CALM_SETTINGS, async ({ queue, clock }) => {
        const r = uniqueId('depth');
        expect(await queue.depth(r)).toBe(0);
        for (const id of ['a', 'b', 'c']) {
          await queue.enqueue(message(r, id, 2, clock.now() + HOUR), clock.now());
        }
        expect(await queue.depth(r)).toBe(3);
        const got = await queue.receive(r, { max: 1, waitMs: 0 }, clock.now());
        expect(ids(got.deliveries)).toEqual(['a']);
        expect(await queue.depth(r)).toBe(3);
        await queue.ack(r, got.deliveries[0]?.deliveryId ?? '', clock.now());
        expect(await queue.depth(r)).toBe(2);
      });
    });

    it('reports stats: ready by priority, in flight until acked (nacked included), per recipient', async () => {
      await withQueue(CALM_SETTINGS, async ({ queue, clock }) => {
        const r = uniqueId('stats');
        const other = uniqueId('stats-other');
        const empty = { ready: { low: 0, normal: 0, high: 0, critical: 0 }, inFlight: 0 };
        expect(await queue.stats(r)).toEqual({ ...empty, deadLettered: 0 });
        const sent: Array<[string, QueuePriority]> = [
          ['n1', 2],
          ['n2', 2],
          ['l1', 1],
          ['c1', 4],
        ];
        for (const [id, priority] of sent) {
          await queue.enqueue(message(r, id, priority, clock.now() + HOUR), clock.now());
        }
        await queue.enqueue(message(other, 'x', 3, clock.now() + HOUR), clock.now());
        expect(await queue.stats(r)).toEqual({
          ready: { low: 1, normal: 2, high: 0, critical: 1 },
          inFlight: 0,
          deadLettered: 0,
        });

        const got = await queue.receive(r, { max: 2, waitMs: 0 }, clock.now());
        expect(ids(got.deliveries)).toEqual(['c1', 'n1']);
        expect(await queue.stats(r)).toEqual({
          ready: { low: 1, normal: 1, high: 0, critical: 0 },
          inFlight: 2,
          deadLettered: 0,
        });
        const [critical, normal] = got.deliveries;
        await queue.ack(r, critical?.deliveryId ?? '', clock.now());
        await queue.nack(r, normal?.deliveryId ?? '', 60_000, clock.now());
        expect(await queue.stats(r)).toEqual({
          ready: { low: 1, normal: 1, high: 0, critical: 0 },
          inFlight: 1,
          deadLettered: 0,
        });
        expect(await queue.stats(other)).toEqual({
          ready: { low: 0, normal: 0, high: 1, critical: 0 },
          inFlight: 0,
          deadLettered: 0,
        });
      });
    });

    it('keeps unacknowledged messages across a reopen', async () => {
      await withQueue(REDELIVERY_SETTINGS, async (t) => {
        const { clock } = t;
        const r = uniqueId('durable');
        for (const id of ['a', 'b', 'c']) {
          await t.queue.enqueue(message(r, id, 3, clock.now() + HOUR), clock.now());
        }
        const leased = await t.queue.receive(r, { max: 1, waitMs: 0 }, clock.now());
        expect(ids(leased.deliveries)).toEqual(['a']);

        const reopened = await t.reopen();
        expect(await reopened.depth(r)).toBe(3);
        await clock.advance(redeliveryAfterMs(REDELIVERY_SETTINGS, 1));
        const got = await receiveUntil(reopened, r, 3, clock);
        expect(ids(got).sort()).toEqual(['a', 'b', 'c']);
        expect(got.find((d) => d.message.messageId === 'a')?.deliveryCount).toBe(2);
        for (const d of got) await reopened.ack(r, d.deliveryId, clock.now());
        expect(await reopened.depth(r)).toBe(0);
      });
    });

    it('wakes a waiting receive as soon as a message arrives, and times out empty', async () => {
      await withQueue(CALM_SETTINGS, async ({ queue, clock }) => {
        const r = uniqueId('wait');
        // Warm up (JetStream creates the recipient's consumers on the first receive).
        await queue.receive(r, { max: 1, waitMs: 0 }, clock.now());

        const started = performance.now();
        const pending = queue.receive(r, { max: 1, waitMs: 1_000 }, clock.now());
        await new Promise((resolve) => setTimeout(resolve, 100));
        await queue.enqueue(message(r, 'wake', 3, clock.now() + HOUR), clock.now());
        const got = await pending;
        const wokeAfter = performance.now() - started;
        expect(ids(got.deliveries)).toEqual(['wake']);
        expect(wokeAfter).toBeLessThan(600);

        const emptyStart = performance.now();
        const empty = await queue.receive(r, { max: 1, waitMs: 1_000 }, clock.now());
        const emptyAfter = performance.now() - emptyStart;
        expect(empty).toEqual({ deliveries: [], events: [] });
        expect(emptyAfter).toBeGreaterThanOrEqual(950);
        expect(emptyAfter).toBeLessThan(2_000);

        const controller = new AbortController();
        setTimeout(() => controller.abort(), 100);
        const abortStart = performance.now();
        const aborted = await queue.receive(
          r,
          { max: 1, waitMs: 5_000, signal: controller.signal },
          clock.now(),
        );
        expect(aborted).toEqual({ deliveries: [], events: [] });
        expect(performance.now() - abortStart).toBeLessThan(1_000);
      });
    });

    it('routes every message to partitionOf(recipient) (stable known answers)', async () => {
      await withQueue(CALM_SETTINGS, async ({ queue, clock }) => {
        expect(partitionOf('agent-alice', 4)).toBe(partitionOf('agent-alice', 4));
        const known: Array<[string, number]> = [
          ['a', 0xe40c292c % 4],
          ['foobar', 0xbf9cf968 % 4],
        ];
        for (const [recipient, partition] of known) {
          const result = await queue.enqueue(
            message(recipient, uniqueId('route'), 3, clock.now() + HOUR),
            clock.now(),
          );
          expect(result.partition).toBe(partition);
        }
      });
    });
  });
}
