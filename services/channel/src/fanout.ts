/**
 * Fanout: stores one copy of each accepted publication in every member's queue, through the same
 * partitioned queue as direct messages (so priorities, TTL, acks and dead letters apply). It runs
 * beside the publisher's path, never on it: Publish answers once the publication is stored, then
 * kicks this worker.
 *
 * Each copy has its own queue message id, derived from (publisher, message id, member), so storing
 * a copy twice — after a crash between a batch and its cursor update — stores it once while the
 * copy is queued; the SDK's duplicate suppression covers a copy already acknowledged. Members are
 * walked in agent-id order, read 500 at a time and enqueued `fanoutConcurrency` at once; the
 * cursor is saved after each such batch, so a crash repeats at most the batch in flight and the
 * fanout resumes from the cursor. Only members whose membership covers the publication's epoch
 * receive it (someone who joined later could not decrypt it). A sender-key distribution goes only
 * to the members whose member keys it is encrypted to, looked up by key id (at most 1,024).
 */
import type { CryptoProvider } from '@proof-messenger/crypto';
import { derivedMessageId } from '@proof-messenger/protocol';
import type { QueuePriority } from '@proof-messenger/queue';
import type { ChannelContext } from './context.ts';
import type { MemberRecord } from './ports/channel-store.ts';
import type { PendingFanout } from './ports/publication-store.ts';

/**
 * How long a claimed fanout is owned before another instance (or a restart) may resume it; every
 * saved batch renews it, so it only has to outlast one batch.
 */
const LEASE_MS = 10_000;
const CLAIM_BATCH = 16;
/** Members read per query while walking the member list. */
const MEMBER_PAGE = 500;

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
    const { channels, config } = this.#ctx;
    let copies = 0;
    if (p.keyIds.length > 0) {
      // A sender-key distribution: only the members it is encrypted to, looked up directly.
      const targets = await channels.membersWithKeys(p.channelId, p.keyIds);
      copies += await this.#enqueueCopies(p, targets);
    } else {
      let cursor = p.cursor;
      for (;;) {
        if (this.#stopped) return copies;
        const page = await channels.members(p.channelId, cursor, MEMBER_PAGE);
        if (page.length === 0) break;
        for (let i = 0; i < page.length; i += config.fanoutConcurrency) {
          if (this.#stopped) return copies;
          const chunk = page.slice(i, i + config.fanoutConcurrency);
          copies += await this.#enqueueCopies(p, chunk);
          cursor = chunk[chunk.length - 1]?.agentId ?? cursor;
          await this.#ctx.publications.advance(
            p.senderId,
            p.messageId,
            cursor,
            this.#ctx.now() + LEASE_MS,
          );
        }
      }
    }
    await this.#ctx.publications.complete(p.senderId, p.messageId);
    return copies;
  }

  /** Stores the copies of `p` for the members among `candidates` its epoch covers, at once. */
  async #enqueueCopies(p: PendingFanout, candidates: readonly MemberRecord[]): Promise<number> {
    const { queue, provider } = this.#ctx;
    const now = this.#ctx.now();
    const targets = candidates.filter((m) => m.joinedEpoch <= p.epoch);
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
    return targets.length;
  }
}
