/**
 * Admitting a verified message: the replay guard remembers (sender, message id) → digest, the
 * queue stores the message, and the guard records that the queue has it.
 *
 * Embedded mode keeps the guard and the queue in one SQLite file, so the writes run as one
 * transaction — one unit of the database's group commit: atomic (a crash can no longer leave a
 * remembered id without its message) and sharing one fsync with the other sends in flight. The
 * record is then written as enqueued at once (two statements per message instead of three).
 * Distributed (PostgreSQL guard, JetStream queue) they are three steps; a crash between them is
 * covered by the queue's own idempotency (see docs/queues.md).
 */
import type { EnqueueResult, MessageQueue, QueueMessage } from '@proof-messenger/queue';
import { SqliteMessageQueue } from '@proof-messenger/queue';
import type { ReplayGuard } from '../ports/replay-guard.ts';
import { SqlReplayGuard } from './sql-replay-guard.ts';

/** What the replay guard records about a message. */
export interface ReplayRecord {
  readonly senderId: string;
  readonly messageId: string;
  readonly digest: Uint8Array;
  readonly partition: number;
  readonly nowMs: number;
  /** When the record may be dropped (created-at + window + TTL). */
  readonly forgetAfterMs: number;
}

/** The outcome: refused as a replay, or stored (now or by an earlier attempt). */
export type Admission =
  | { readonly kind: 'conflict' }
  | {
      readonly kind: 'stored';
      readonly partition: number;
      readonly acceptedAtMs: number;
      readonly duplicate: boolean;
      /**
       * Whether this call confirmed the store: false only for a retry an earlier attempt had
       * already confirmed (nothing new happened, so nothing new is audited).
       */
      readonly confirmed: boolean;
      /** Whether the replay guard knew the envelope already (a retry). */
      readonly retry: boolean;
    };

/**
 * Remembers the message and stores it unless it is a replay (another envelope under the same id)
 * or a retry an earlier attempt already stored. Resolves only once everything is durable.
 */
export function admitMessage(
  replay: ReplayGuard,
  queue: MessageQueue,
  record: ReplayRecord,
  message: QueueMessage,
): Promise<Admission> {
  if (
    replay instanceof SqlReplayGuard &&
    queue instanceof SqliteMessageQueue &&
    replay.database === queue.database
  ) {
    return replay.database.transaction((tx) =>
      admitInSteps(
        new SqlReplayGuard(tx),
        (m, now) => queue.enqueueWithin(tx, m, now),
        record,
        message,
        true,
      ),
    );
  }
  return admitInSteps(replay, (m, now) => queue.enqueue(m, now), record, message, false);
}

/** `atomic`: the guard and the queue write in one transaction (see the module header). */
async function admitInSteps(
  replay: ReplayGuard,
  enqueue: (message: QueueMessage, nowMs: number) => Promise<EnqueueResult>,
  record: ReplayRecord,
  message: QueueMessage,
  atomic: boolean,
): Promise<Admission> {
  const verdict = await replay.remember(
    record.senderId,
    record.messageId,
    record.digest,
    record.partition,
    record.nowMs,
    record.forgetAfterMs,
    atomic,
  );
  if (verdict.kind === 'conflict') return verdict;
  if (verdict.kind === 'retry' && verdict.enqueued) {
    // Already stored (and maybe delivered and acknowledged, so gone from the queue): answer as
    // before, store nothing.
    return {
      kind: 'stored',
      partition: verdict.partition,
      acceptedAtMs: verdict.acceptedAtMs,
      duplicate: true,
      confirmed: false,
      retry: true,
    };
  }
  // New, or a retry whose first attempt died between remembering and enqueueing: enqueue (the
  // queue also recognises an id it still holds), then record that it is stored.
  const result = await enqueue(message, record.nowMs);
  // A new record written atomically is marked already; an older one (a retry) is not.
  if (!atomic || verdict.kind === 'retry') {
    await replay.markEnqueued(record.senderId, record.messageId);
  }
  return {
    kind: 'stored',
    partition: result.partition,
    acceptedAtMs: verdict.kind === 'retry' ? verdict.acceptedAtMs : result.enqueuedAtMs,
    duplicate: verdict.kind === 'retry' || result.duplicate,
    confirmed: true,
    retry: verdict.kind === 'retry',
  };
}
