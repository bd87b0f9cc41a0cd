/**
 * AuditRecorder over a real SqlAuditStore (node:sqlite in memory), wrapped at the boundary where a
 * test needs the store to fail, block or report its batches.
 */
import { defaultProvider } from '@proof-messenger/crypto';
import { UnavailableError } from '@proof-messenger/errors';
import { openSqliteDatabase, type SqlDatabase } from '@proof-messenger/storage';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type AuditEntry,
  type AuditEntryInput,
  type AuditEvent,
  type AuditLogger,
  AuditRecorder,
  type AuditStore,
  AuditTrail,
  MerkleHasher,
  SqlAuditStore,
} from '../src/index.ts';

const provider = defaultProvider();

function event(i: number, fields: Partial<AuditEvent> = {}): AuditEvent {
  return {
    actor: `agent-${i}`,
    action: 'message.sent',
    target: 'agent-bob',
    outcome: 'success',
    messageIds: [`m-${i}`],
    timeMs: 1_750_000_000_000 + i,
    ...fields,
  };
}

/** A logger that keeps what it was told. */
function memoryLogger(): AuditLogger & {
  lines: { level: string; message: string; fields: object }[];
} {
  const lines: { level: string; message: string; fields: object }[] = [];
  return {
    lines,
    warn: (fields, message) => lines.push({ level: 'warn', message, fields }),
    error: (fields, message) => lines.push({ level: 'error', message, fields }),
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('AuditRecorder', () => {
  let db: SqlDatabase;
  let store: SqlAuditStore;
  let trail: AuditTrail;
  /** Sizes of the batches that reached the store. */
  let batches: number[];
  /** The next `failures` appends fail with UnavailableError. */
  let failures: number;
  /** While set, appends wait for it. */
  let gate: Promise<void> | undefined;

  beforeEach(async () => {
    db = await openSqliteDatabase(':memory:');
    store = await SqlAuditStore.open(db, provider);
    batches = [];
    failures = 0;
    gate = undefined;
    // The real store, with its append wrapped: it can fail, wait at a gate, and reports batches.
    const flaky: AuditStore = {
      append: async (inputs: readonly AuditEntryInput[]): Promise<AuditEntry[]> => {
        await gate;
        if (failures > 0) {
          failures--;
          throw new UnavailableError('the database is unavailable; retry later');
        }
        batches.push(inputs.length);
        return store.append(inputs);
      },
      size: () => store.size(),
      entries: (start, count) => store.entries(start, count),
      leafHash: (index) => store.leafHash(index),
      nodeHash: (level, index) => store.nodeHash(level, index),
      query: (query) => store.query(query),
      saveCheckpoint: (checkpoint) => store.saveCheckpoint(checkpoint),
      latestCheckpoint: () => store.latestCheckpoint(),
      checkpointAt: (treeSize) => store.checkpointAt(treeSize),
      listCheckpoints: (after, limit) => store.listCheckpoints(after, limit),
    };
    trail = new AuditTrail({ store: flaky, hasher: new MerkleHasher(provider) });
  });
  afterEach(async () => {
    await db.close();
  });

  async function storedActors(): Promise<string[]> {
    return (await store.entries(0, 1000)).map((e) => e.actor);
  }

  it('writes full batches at once and the rest together, in order', async () => {
    const recorder = new AuditRecorder({ trail, flushIntervalMs: 1000 });
    for (let i = 0; i < 600; i++) recorder.record(event(i));
    await recorder.flush();
    expect(batches).toEqual([256, 256, 88]);
    expect(recorder.stats()).toEqual({
      recorded: 600,
      stored: 600,
      rejected: 0,
      dropped: 0,
      pending: 0,
    });
    expect(await storedActors()).toEqual(Array.from({ length: 600 }, (_, i) => `agent-${i}`));
  });

  it('writes a partial batch after flushIntervalMs without being asked', async () => {
    const clock = 1_750_000_000_500;
    const recorder = new AuditRecorder({ trail, flushIntervalMs: 20, now: () => clock });
    recorder.record(event(0));
    recorder.record(event(1, { timeMs: undefined, reason: 'policy forbids', details: { k: 'v' } }));
    recorder.record(event(2));
    expect(recorder.stats().pending).toBe(3);
    for (let i = 0; i < 50 && recorder.stats().stored < 3; i++) await sleep(10);
    expect(batches).toEqual([3]);
    const [first, second, third] = await store.entries(0, 3);
    expect(first?.timeMs).toBe(1_750_000_000_000);
    // No time of its own: the recorder's clock.
    expect(second).toMatchObject({ timeMs: clock, reason: 'policy forbids', details: { k: 'v' } });
    // Its own time is earlier than the entry before it: the log raises it.
    expect(third?.timeMs).toBe(clock);
  });

  it('flush resolves only when everything recorded before it is stored', async () => {
    const recorder = new AuditRecorder({ trail, flushIntervalMs: 10_000 });
    for (let i = 0; i < 5; i++) recorder.record(event(i));
    await recorder.flush();
    expect(recorder.stats()).toMatchObject({ stored: 5, pending: 0 });
    expect(await store.size()).toBe(5);
    await recorder.flush(); // nothing pending: resolves at once
  });

  it('retries a failing store with backoff and keeps the order', async () => {
    const logger = memoryLogger();
    const recorder = new AuditRecorder({ trail, logger, retryInitialMs: 5, retryMaxMs: 20 });
    failures = 3;
    for (let i = 0; i < 5; i++) recorder.record(event(i));
    const flushed = recorder.flush();
    await sleep(8);
    for (let i = 5; i < 10; i++) recorder.record(event(i)); // recorded during the outage
    await flushed;
    await recorder.flush();
    expect(await storedActors()).toEqual(Array.from({ length: 10 }, (_, i) => `agent-${i}`));
    expect(recorder.stats()).toEqual({
      recorded: 10,
      stored: 10,
      rejected: 0,
      dropped: 0,
      pending: 0,
    });
    expect(logger.lines.map((l) => l.message)).toEqual([
      'audit store append failed; retrying the same batch',
      'audit store append failed; retrying the same batch',
      'audit store append failed; retrying the same batch',
      'audit store append recovered',
    ]);
    expect(
      logger.lines.slice(0, 3).map((l) => (l.fields as { retryInMs: number }).retryInMs),
    ).toEqual([5, 10, 20]);
  });

  it('counts invalid events as rejected and never throws', async () => {
    const logger = memoryLogger();
    const recorder = new AuditRecorder({ trail, logger });
    recorder.record(event(0, { outcome: 'maybe' as never }));
    recorder.record(null as unknown as AuditEvent);
    recorder.record(event(1, { messageIds: 'abc' as unknown as string[] }));
    recorder.record(event(2, { actor: 'x'.repeat(2000) }));
    recorder.record(event(3));
    await recorder.flush();
    expect(recorder.stats()).toEqual({
      recorded: 1,
      stored: 1,
      rejected: 4,
      dropped: 0,
      pending: 0,
    });
    expect(logger.lines.map((l) => [l.level, l.message])).toEqual(
      Array(4).fill(['warn', 'audit event rejected as invalid; fix the code that records it']),
    );
    expect(logger.lines[0]?.fields).toMatchObject({ action: 'message.sent' });
    expect(await storedActors()).toEqual(['agent-3']);
  });

  it('drops beyond maxPending, logging once per burst', async () => {
    const logger = memoryLogger();
    let open = () => {};
    gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const recorder = new AuditRecorder({ trail, logger, maxPending: 5, batchSize: 2 });
    for (let i = 0; i < 8; i++) recorder.record(event(i));
    expect(recorder.stats()).toEqual({
      recorded: 5,
      stored: 0,
      rejected: 0,
      dropped: 3,
      pending: 5,
    });
    expect(logger.lines.map((l) => l.message)).toEqual([
      'audit events dropped: 5 are waiting for the store; dropping until it catches up',
    ]);
    gate = undefined;
    open();
    await recorder.flush();
    recorder.record(event(8));
    await recorder.flush();
    expect(recorder.stats()).toEqual({
      recorded: 6,
      stored: 6,
      rejected: 0,
      dropped: 3,
      pending: 0,
    });
    expect(logger.lines.at(-1)?.message).toBe('audit recorder accepting events again');
    expect(await storedActors()).toEqual([
      'agent-0',
      'agent-1',
      'agent-2',
      'agent-3',
      'agent-4',
      'agent-8',
    ]);
  });

  it('close stores what is queued, then drops new events', async () => {
    const recorder = new AuditRecorder({ trail, flushIntervalMs: 10_000 });
    for (let i = 0; i < 3; i++) recorder.record(event(i));
    await recorder.close();
    expect(await store.size()).toBe(3);
    recorder.record(event(3));
    expect(recorder.stats()).toEqual({
      recorded: 3,
      stored: 3,
      rejected: 0,
      dropped: 1,
      pending: 0,
    });
  });

  it('close gives up on a store that stays down, after its timeout, and says so', async () => {
    const logger = memoryLogger();
    const recorder = new AuditRecorder({ trail, logger, retryInitialMs: 5, retryMaxMs: 5 });
    failures = Number.POSITIVE_INFINITY;
    recorder.record(event(0));
    recorder.record(event(1));
    const waiting = recorder.flush();
    const started = Date.now();
    await recorder.close(60);
    expect(Date.now() - started).toBeLessThan(1000);
    await expect(waiting).rejects.toThrow(
      'the audit recorder closed before the events were stored',
    );
    expect(recorder.stats()).toMatchObject({ recorded: 2, stored: 0, pending: 2 });
    expect(logger.lines.at(-1)).toMatchObject({
      level: 'error',
      message: 'audit recorder closed before the store took every event',
      fields: { lost: 2 },
    });
    expect(await store.size()).toBe(0);
  });
});
