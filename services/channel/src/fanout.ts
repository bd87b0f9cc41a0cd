/**
 * Fanout: stores one copy of each accepted publication in every member's queue, through the same
 * partitioned queue as direct messages (so priorities, TTL, acks and dead letters apply). It runs
 * beside the publisher's path, never on it: Publish answers once the publication is stored, then
 * kicks this worker.
 *
 * Each copy has its own queue message id, derived from (publisher, message id, member), so storing
 * a copy twice — after a crash between a batch and its cursor update — stores it once while the
 * copy is queued; the SDK's duplicate suppression covers a copy already acknowledged. Members are
 * walked in agent-id order in batches of `fanoutConcurrency` enqueued at once, and the cursor is
 * saved after each batch, so a crash loses at most the batch in flight and the fanout resumes from
 * the cursor. Only members whose membership covers the publication's epoch receive it (someone who
 * joined later could not decrypt it), and a sender-key distribution goes only to the members whose
 * member keys it is encrypted to.
 */
import type { CryptoProvider } from '@proof-messenger/crypto';
import { derivedMessageId } from '@proof-messenger/protocol';
import type { QueuePriority } from '@proof-messenger/queue';
import type { ChannelContext } from './context.ts';
import type { PendingFanout } from './ports/publication-store.ts';

/** How long a claimed fanout is owned before another instance may resume it. */
const LEASE_MS = 30_000;
const CLAIM_BATCH = 16;

/** The queue message id of one member's copy of one publication. */
export function copyId(
  provider: CryptoProvider,
  senderId: string,
  messageId: string,
  memberId: string,
): string {
  return derivedMessageId(
    provider,
    'proof-messenger/channel-copy/v1',
    senderId,
    messageId,
    memberId,
  );
}

export class Fanout {
  readonly #ctx: ChannelContext;
  readonly #intervalMs: number;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<number> | undefined;
  #again = false;
  #stopped = false;

  constructor(ctx: ChannelContext, intervalMs: number) {
    this.#ctx = ctx;
    this.#intervalMs = intervalMs;
  }

  /** Runs soon (coalescing requests that arrive while a pass is running). */
  kick(): void {
    if (this.#stopped) return;
    if (this.#running !== undefined) {
      this.#again = true;
      return;
    }
    this.#running = this.#loop().finally(() => {
      this.#running = undefined;
    });
  }

  /** One pass over every claimable publication; returns how many copies were stored. */
  async runOnce(): Promise<number> {
    let copies = 0;
    for (;;) {
      const claimed = await this.#ctx.publications.claim(this.#ctx.now(), LEASE_MS, CLAIM_BATCH);
      if (claimed.length === 0) return copies;
      for (const publication of claimed) copies += await this.#fanOut(publication);
    }
  }

  start(): void {
    if (this.#intervalMs > 0 && this.#timer === undefined) {
      this.#timer = setInterval(() => this.kick(), this.#intervalMs);
      this.#timer.unref();
    }
    this.kick(); // resume what an earlier process left unfinished
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running?.catch(() => 0);
  }

  async #loop(): Promise<number> {
    let copies = 0;
    do {
      this.#again = false;
      try {
        copies += await this.runOnce();
      } catch (error) {
        this.#ctx.log.error({ err: error }, 'fanout pass failed; it resumes on the next pass');
        return copies;
      }
    } while (this.#again && !this.#stopped);
    return copies;
  }

  async #fanOut(p: PendingFanout): Promise<number> {
    const { channels, queue, config, provider } = this.#ctx;
    const only = p.keyIds.length > 0 ? new Set(p.keyIds) : undefined;
    let cursor = p.cursor;
    let copies = 0;
    for (;;) {
      if (this.#stopped) return copies;
      const members = await channels.members(p.channelId, cursor, config.fanoutConcurrency);
      if (members.length === 0) break;
      const now = this.#ctx.now();
      const targets = members.filter(
        (m) => m.joinedEpoch <= p.epoch && (only === undefined || only.has(m.memberKeyId)),
      );
      await Promise.all(
        targets.map((member) =>
          queue.enqueue(
            {
              messageId: copyId(provider, p.senderId, p.messageId, member.agentId),
              senderId: p.senderId,
              recipientId: member.agentId,
              priority: p.priority as QueuePriority,
              expiresAtMs: p.expiresAtMs,
              body: p.envelope,
              kind: 'channel',
            },
            now,
          ),
        ),
      );
      copies += targets.length;
      cursor = members[members.length - 1]?.agentId ?? cursor;
      await this.#ctx.publications.advance(
        p.senderId,
        p.messageId,
        cursor,
        this.#ctx.now() + LEASE_MS,
      );
    }
    await this.#ctx.publications.complete(p.senderId, p.messageId);
    return copies;
  }
}
