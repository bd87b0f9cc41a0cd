/** CheckpointScheduler over real SQLite stores: periodic, idempotent across schedulers, never throws. */
import { defaultProvider } from '@proof-messenger/crypto';
import { openSqliteDatabase, type SqlDatabase } from '@proof-messenger/storage';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type AuditLogger,
  AuditTrail,
  CheckpointScheduler,
  MerkleHasher,
  SqlAuditStore,
  verifyAuditLog,
} from '../src/index.ts';
import { auditSigner, entryInput } from './fixtures.ts';

const provider = defaultProvider();
const hasher = new MerkleHasher(provider);
const signer = auditSigner(provider);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(condition: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(10);
  }
}

describe('CheckpointScheduler', () => {
  let db: SqlDatabase;
  let store: SqlAuditStore;

  beforeEach(async () => {
    db = await openSqliteDatabase(':memory:');
    store = await SqlAuditStore.open(db, provider);
  });
  afterEach(async () => {
    await db.close();
  });

  it('signs a checkpoint each interval the log grew; two schedulers keep one sequence', async () => {
    const schedulers = [0, 1].map(
      () =>
        new CheckpointScheduler({
          trail: new AuditTrail({ store, hasher, signer }),
          intervalMs: 15,
        }),
    );
    for (const scheduler of schedulers) scheduler.start();
    await store.append([entryInput(0), entryInput(1)]);
    await until(async () => (await store.latestCheckpoint())?.treeSize === 2);
    await store.append([entryInput(2)]);
    await until(async () => (await store.latestCheckpoint())?.treeSize === 3);
    await sleep(60); // more ticks on an unchanged log sign nothing
    await Promise.all(schedulers.map((s) => s.stop()));
    const checkpoints = await store.listCheckpoints(0, 100);
    expect(checkpoints.map((c) => c.treeSize)).toEqual([2, 3]);
    await verifyAuditLog(await store.entries(0, 3), checkpoints, signer.publicKey);
  });

  it('logs failures and keeps going', async () => {
    const warnings: string[] = [];
    const logger: AuditLogger = { warn: (_f, m) => warnings.push(m), error: () => {} };
    let calls = 0;
    const scheduler = new CheckpointScheduler({
      trail: {
        checkpoint: async () => {
          calls++;
          throw new Error('database down');
        },
      },
      intervalMs: 5,
      logger,
    });
    scheduler.start();
    scheduler.start(); // a second start does nothing
    await until(async () => calls >= 3);
    await scheduler.stop();
    const after = calls;
    await sleep(30);
    expect(calls).toBe(after);
    expect(new Set(warnings)).toEqual(
      new Set(['audit checkpoint failed; retrying at the next interval']),
    );
    expect(await scheduler.runOnce()).toBeUndefined();
  });

  it('refuses a bad interval', () => {
    expect(
      () =>
        new CheckpointScheduler({ trail: { checkpoint: async () => undefined }, intervalMs: 0 }),
    ).toThrow('intervalMs must be a positive integer, got 0');
  });
});
