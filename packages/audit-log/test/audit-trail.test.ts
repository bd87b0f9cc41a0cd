/** AuditTrail's argument checks and its behaviour without the audit key, on a SQLite store. */
import { defaultProvider } from '@proof-messenger/crypto';
import { InvalidArgumentError, NotFoundError } from '@proof-messenger/errors';
import { openSqliteDatabase, type SqlDatabase } from '@proof-messenger/storage';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuditTrail, MerkleHasher, SqlAuditStore } from '../src/index.ts';
import { auditSigner, entryInput } from './fixtures.ts';

const provider = defaultProvider();
const hasher = new MerkleHasher(provider);

async function expectError(
  promise: Promise<unknown>,
  type: abstract new (...args: never[]) => Error,
  message: string,
): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(type);
  expect((error as Error).message).toBe(message);
}

describe('AuditTrail', () => {
  let db: SqlDatabase;
  let store: SqlAuditStore;
  let trail: AuditTrail;

  beforeEach(async () => {
    db = await openSqliteDatabase(':memory:');
    store = await SqlAuditStore.open(db, provider);
    trail = new AuditTrail({ store, hasher, signer: auditSigner(provider), now: () => 5 });
    await trail.append(Array.from({ length: 10 }, (_, i) => entryInput(i)));
  });
  afterEach(async () => {
    await db.close();
  });

  it('refuses proof arguments out of range with what to fix', async () => {
    await expectError(
      trail.inclusionProof(10, 10),
      InvalidArgumentError,
      'sequence 10 is not in a tree of 10 entries; use a tree size greater than the sequence',
    );
    await expectError(
      trail.inclusionProof(3, 11),
      NotFoundError,
      "treeSize 11 exceeds the log's 10 entries; ask for a size of at most 10 (a checkpoint's tree size)",
    );
    await expectError(
      trail.inclusionProof(-1, 5),
      InvalidArgumentError,
      'sequence must be a non-negative integer, got -1',
    );
    await expectError(
      trail.inclusionProof(1.5, 5),
      InvalidArgumentError,
      'sequence must be a non-negative integer, got 1.5',
    );
    await expectError(
      trail.consistencyProof(6, 4),
      InvalidArgumentError,
      'fromSize 6 is larger than toSize 4; a consistency proof goes from the older (smaller) tree to the newer',
    );
    await expectError(
      trail.consistencyProof(4, 12),
      NotFoundError,
      "toSize 12 exceeds the log's 10 entries; ask for a size of at most 10 (a checkpoint's tree size)",
    );
    await expectError(
      trail.consistencyProof('3' as unknown as number, 5),
      InvalidArgumentError,
      'fromSize must be a non-negative integer, got string',
    );
    expect(await trail.consistencyProof(0, 10)).toEqual({ fromSize: 0, toSize: 10, hashes: [] });
    expect(await trail.consistencyProof(10, 10)).toEqual({ fromSize: 10, toSize: 10, hashes: [] });
  });

  it('without the audit key serves stored checkpoints but signs none', async () => {
    const reader = new AuditTrail({ store, hasher });
    expect(reader.publicKey).toBeUndefined();
    expect(await reader.checkpoint()).toBeUndefined();
    const signed = await trail.checkpoint();
    expect(signed).toMatchObject({ treeSize: 10, timeMs: 5 });
    expect(trail.publicKey?.keyId).toBe(signed?.keyId);
    await trail.append([entryInput(10)]);
    expect(await reader.checkpoint()).toEqual(signed);
    expect(await reader.latestCheckpoint()).toEqual(signed);
    expect(await reader.checkpointAt(10)).toEqual(signed);
  });
});
