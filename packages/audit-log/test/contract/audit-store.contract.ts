/**
 * The AuditStore contract, run against every backend: sequence and chain, paging, query filters
 * and page tokens, checkpoints, refusal of bad input with nothing written, proofs equal to the
 * in-memory reference log's, a restart in the middle of the log, and two instances appending at
 * once.
 */
import { defaultProvider } from '@proof-messenger/crypto';
import { InvalidArgumentError, NotFoundError } from '@proof-messenger/errors';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type AuditEntry,
  type AuditEntryInput,
  type AuditPage,
  AuditTrail,
  auditEntryHash,
  GENESIS_PREVIOUS_HASH,
  MemoryAuditLog,
  MerkleHasher,
  type SignedCheckpoint,
  type SqlAuditStore,
  signCheckpoint,
  treeRoot,
  verifyAuditLog,
  verifyCheckpointSignature,
  verifyConsistency,
  verifyInclusion,
} from '../../src/index.ts';
import type { AuditStoreBackend, OpenedAuditStore } from '../audit-store-backends.ts';
import { auditSigner, entryInput } from '../fixtures.ts';

const provider = defaultProvider();
const hasher = new MerkleHasher(provider);
const signer = auditSigner(provider);

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );
}

async function expectError(
  promise: Promise<unknown>,
  type: abstract new (...args: never[]) => Error,
  message: string,
): Promise<void> {
  const error = await rejection(promise);
  expect(error).toBeInstanceOf(type);
  expect((error as Error).message).toBe(message);
}

function sequences(page: AuditPage): number[] {
  return page.entries.map((entry) => entry.sequence);
}

/** Every entry of the store, read in pages of 1000. */
async function allEntries(store: SqlAuditStore): Promise<AuditEntry[]> {
  const size = await store.size();
  const out: AuditEntry[] = [];
  while (out.length < size) out.push(...(await store.entries(out.length, 1000)));
  return out;
}

/** Sequence i is at position i and chained to entry i − 1. */
function expectChain(entries: readonly AuditEntry[]): void {
  let previous = GENESIS_PREVIOUS_HASH;
  for (const [i, entry] of entries.entries()) {
    expect(entry.sequence).toBe(i);
    expect(entry.previousHash).toEqual(previous);
    previous = auditEntryHash(hasher, entry);
  }
}

function trailOn(store: SqlAuditStore, now: () => number = Date.now): AuditTrail {
  return new AuditTrail({ store, hasher, signer, now });
}

export function auditStoreContract(backend: AuditStoreBackend): void {
  describe(`AuditStore contract (${backend.name})`, () => {
    let opened: OpenedAuditStore;
    let store: SqlAuditStore;
    let other: SqlAuditStore;

    beforeEach(async () => {
      opened = await backend.open();
      ({ store, other } = opened);
    });
    afterEach(async () => {
      await opened.close();
    });

    it('starts empty', async () => {
      expect(await store.size()).toBe(0);
      expect(await store.entries(0, 10)).toEqual([]);
      expect(await store.latestCheckpoint()).toBeUndefined();
      expect(await store.query({})).toEqual({ entries: [], nextPageToken: '' });
      expect(await store.append([])).toEqual([]);
      await expectError(store.leafHash(0), NotFoundError, 'the audit log has no entry 0');
    });

    it('assigns consecutive sequences and chains every entry, across instances', async () => {
      const first = await store.append([entryInput(0), entryInput(1), entryInput(2)]);
      const second = await other.append([entryInput(3), entryInput(4)]);
      expect([...first, ...second].map((e) => e.sequence)).toEqual([0, 1, 2, 3, 4]);
      expect(first[0]).toEqual({
        ...entryInput(0),
        sequence: 0,
        previousHash: GENESIS_PREVIOUS_HASH,
      });
      const stored = await other.entries(0, 10);
      expect(stored).toEqual([...first, ...second]);
      expectChain(stored);
      for (const entry of stored) {
        expect(await store.leafHash(entry.sequence)).toEqual(auditEntryHash(hasher, entry));
      }
      expect(await store.size()).toBe(5);
    });

    it('copies inputs, so later changes by the caller do not reach the log', async () => {
      const input = { ...entryInput(0), details: { a: '1' }, messageIds: ['m'] };
      const [entry] = await store.append([input]);
      input.details.a = 'changed';
      input.messageIds.push('n');
      expect((await store.entries(0, 1))[0]).toEqual(entry);
      expect(entry?.details).toEqual({ a: '1' });
    });

    it('round-trips every field: unicode, empty and many details, hashes of any length', async () => {
      const inputs: AuditEntryInput[] = [
        {
          timeMs: 0,
          actor: 'agent-ünïcödé-🔑',
          action: 'identity.key_rotated',
          target: 'x"y\\z',
          outcome: 'failure',
          reason: 'line1\nline2',
          details: Object.fromEntries(Array.from({ length: 64 }, (_, i) => [`k${i}`, `v${i}`])),
          messageIds: [],
          messageHashes: [new Uint8Array(0), new Uint8Array(64).fill(0xff)],
        },
        { ...entryInput(1), details: {}, messageIds: ['a', 'b', 'c'], messageHashes: [] },
      ];
      const appended = await store.append(inputs);
      expect(await store.entries(0, 2)).toEqual(appended);
      expect(appended[0]).toMatchObject(inputs[0] as object);
    });

    it('never lets times go back: a time before the last entry is raised to it', async () => {
      const at = (timeMs: number) => ({ ...entryInput(0), timeMs });
      const first = await store.append([at(1000), at(900), at(1001)]);
      const second = await other.append([at(950)]);
      const third = await other.append([at(1200), at(1100)]);
      const times = [...first, ...second, ...third].map((entry) => entry.timeMs);
      expect(times).toEqual([1000, 1000, 1001, 1001, 1200, 1200]);
      const reopened = await opened.restart();
      const [after] = await reopened.store.append([at(5)]);
      expect(after?.timeMs).toBe(1200);
      const stored = await reopened.other.entries(0, 10);
      expect(stored.map((entry) => entry.timeMs)).toEqual([...times, 1200]);
      const result = await verifyAuditLog(stored, [], signer.publicKey, {
        provider,
        allowUncheckpointedTail: true,
      });
      expect(result.entryCount).toBe(7);
      // Equal times: a window is every entry of the time, whatever the order they came in.
      expect(sequences(await reopened.store.query({ sinceMs: 1000, untilMs: 1001 }))).toEqual([
        1, 0,
      ]);
      expect(sequences(await reopened.store.query({ sinceMs: 1100, untilMs: 1300 }))).toEqual([
        6, 5, 4,
      ]);
      expect(sequences(await reopened.store.query({ sinceMs: 900, untilMs: 1000 }))).toEqual([]);
    });

    it('reads entries in pages of at most 1000', async () => {
      await store.append(Array.from({ length: 25 }, (_, i) => entryInput(i)));
      expect((await store.entries(10, 10)).map((e) => e.sequence)).toEqual(
        Array.from({ length: 10 }, (_, i) => 10 + i),
      );
      expect((await store.entries(20, 10)).map((e) => e.sequence)).toEqual([20, 21, 22, 23, 24]);
      expect(await store.entries(25, 10)).toEqual([]);
      expect(await store.entries(3, 0)).toEqual([]);
      await expectError(
        store.entries(0, 1001),
        InvalidArgumentError,
        'count must be at most 1000, got 1001; read in pages',
      );
      await expectError(
        store.entries(-1, 5),
        InvalidArgumentError,
        'start must be a non-negative safe integer, got -1',
      );
    });

    it('refuses a batch with one bad input and writes nothing of it', async () => {
      const bad = { ...entryInput(1), outcome: 'maybe' } as unknown as AuditEntryInput;
      await expectError(
        store.append([entryInput(0), bad]),
        InvalidArgumentError,
        'inputs[1]: outcome must be one of success, denied, failure, got maybe',
      );
      await expectError(
        store.append([{ ...entryInput(0), actor: 'x'.repeat(1025) }]),
        InvalidArgumentError,
        'inputs[0]: actor must be at most 1024 UTF-8 bytes, got 1025',
      );
      await expectError(
        store.append([{ ...entryInput(0), messageHashes: ['ab'] } as unknown as AuditEntryInput]),
        InvalidArgumentError,
        'inputs[0]: messageHashes[0] must be a Uint8Array of at most 64 bytes',
      );
      await expectError(
        store.append([{ ...entryInput(0), timeMs: -5 }]),
        InvalidArgumentError,
        'inputs[0]: timeMs must be a non-negative safe integer, got -5',
      );
      await expectError(
        store.append([null as unknown as AuditEntryInput]),
        InvalidArgumentError,
        'inputs[0]: audit entry must be an object',
      );
      await expectError(
        store.append(Array.from({ length: 10_001 }, () => entryInput(0))),
        InvalidArgumentError,
        'at most 10000 entries can be appended at once, got 10001; split the batch',
      );
      expect(await store.size()).toBe(0);
      expect(await store.entries(0, 10)).toEqual([]);
      const [entry] = await store.append([entryInput(0)]);
      expect(entry?.sequence).toBe(0);
      expect(entry?.previousHash).toEqual(GENESIS_PREVIOUS_HASH);
    });

    describe('query', () => {
      // sequence: time, actor, target, action, outcome
      const rows: [string, string, string, AuditEntryInput['outcome']][] = [
        ['alice', 'bob', 'message.sent', 'success'], // 0
        ['bob', 'alice', 'message.delivered', 'success'], // 1
        ['carol', 'channel:c1', 'channel.created', 'success'], // 2
        ['alice', 'alice', 'identity.key_rotated', 'success'], // 3
        ['operator:ops', 'policy:7', 'policy.activated', 'success'], // 4
        ['dave', 'alice', 'message.refused', 'denied'], // 5
        ['alice', 'carol', 'rate_limit.refused', 'denied'], // 6
        ['service:ep', 'bob', 'message.dead_lettered', 'failure'], // 7
        ['bob', 'dave', 'messages.other', 'success'], // 8
        ['alice', 'bob', 'message', 'success'], // 9
      ];
      let stored: AuditEntry[];
      beforeEach(async () => {
        stored = await store.append(
          rows.map(([actor, target, action, outcome], i) => ({
            ...entryInput(i),
            timeMs: 1000 + i,
            actor,
            target,
            action,
            outcome,
          })),
        );
      });

      it('returns everything newest first, exactly as stored', async () => {
        const page = await other.query({});
        expect(page.entries).toEqual([...stored].reverse());
        expect(page.nextPageToken).toBe('');
      });

      it('filters by time range: since inclusive, until exclusive', async () => {
        expect(sequences(await store.query({ sinceMs: 1003, untilMs: 1006 }))).toEqual([5, 4, 3]);
        expect(sequences(await store.query({ sinceMs: 1008 }))).toEqual([9, 8]);
        expect(sequences(await store.query({ untilMs: 1002 }))).toEqual([1, 0]);
        expect(sequences(await store.query({ sinceMs: 1004, untilMs: 1004 }))).toEqual([]);
        expect(sequences(await store.query({ sinceMs: 1010 }))).toEqual([]);
        expect(sequences(await store.query({ untilMs: 1000 }))).toEqual([]);
        expect(sequences(await store.query({ sinceMs: 0, untilMs: 5000 }))).toHaveLength(10);
      });

      it('pages through a time window, and combines it with every filter', async () => {
        const pages: number[][] = [];
        let pageToken = '';
        do {
          const page = await store.query({ sinceMs: 1003, untilMs: 1008, pageSize: 2, pageToken });
          pages.push(sequences(page));
          pageToken = page.nextPageToken;
        } while (pageToken !== '');
        expect(pages).toEqual([[7, 6], [5, 4], [3]]);
        expect(
          sequences(await store.query({ sinceMs: 1001, untilMs: 1009, actions: ['message.'] })),
        ).toEqual([7, 5, 1]);
        expect(
          sequences(await store.query({ sinceMs: 1001, untilMs: 1009, outcome: 'denied' })),
        ).toEqual([6, 5]);
        expect(
          sequences(await store.query({ agentId: 'alice', sinceMs: 1001, untilMs: 1006 })),
        ).toEqual([5, 3, 1]);
      });

      it('filters by agent as actor or target, each entry once', async () => {
        expect(sequences(await store.query({ agentId: 'alice' }))).toEqual([9, 6, 5, 3, 1, 0]);
        expect(sequences(await store.query({ agentId: 'policy:7' }))).toEqual([4]);
        expect(sequences(await store.query({ agentId: 'nobody' }))).toEqual([]);
      });

      it('filters by exact action and by prefix', async () => {
        expect(sequences(await store.query({ actions: ['message.'] }))).toEqual([7, 5, 1, 0]);
        expect(sequences(await store.query({ actions: ['message'] }))).toEqual([9]);
        expect(sequences(await store.query({ actions: ['message.sent', 'policy.'] }))).toEqual([
          4, 0,
        ]);
        expect(sequences(await store.query({ actions: ['channel.', 'rate_limit.'] }))).toEqual([
          6, 2,
        ]);
        expect(sequences(await store.query({ actions: [] }))).toHaveLength(10);
      });

      it('filters by outcome, and combines every filter', async () => {
        expect(sequences(await store.query({ outcome: 'denied' }))).toEqual([6, 5]);
        expect(
          sequences(
            await store.query({ agentId: 'alice', actions: ['message.'], outcome: 'success' }),
          ),
        ).toEqual([1, 0]);
        expect(sequences(await store.query({ agentId: 'alice', sinceMs: 1004 }))).toEqual([
          9, 6, 5,
        ]);
        expect(
          sequences(await store.query({ agentId: 'bob', actions: ['message.'], untilMs: 1007 })),
        ).toEqual([1, 0]);
      });

      it('pages through everything with page tokens', async () => {
        const pages: number[][] = [];
        let pageToken = '';
        do {
          const page = await store.query({ pageSize: 3, pageToken });
          pages.push(sequences(page));
          pageToken = page.nextPageToken;
        } while (pageToken !== '');
        expect(pages).toEqual([[9, 8, 7], [6, 5, 4], [3, 2, 1], [0]]);

        const agentPages: number[][] = [];
        do {
          const page = await other.query({ agentId: 'alice', pageSize: 2, pageToken });
          agentPages.push(sequences(page));
          pageToken = page.nextPageToken;
        } while (pageToken !== '');
        expect(agentPages).toEqual([
          [9, 6],
          [5, 3],
          [1, 0],
        ]);
      });

      it('refuses malformed page tokens and bad filters with what to fix', async () => {
        const token =
          'pageToken is malformed; pass the nextPageToken of the previous page unchanged, or omit it for the first page';
        for (const pageToken of [
          'garbage!',
          Buffer.from('audit-page/v1:-1').toString('base64url'),
          Buffer.from('audit-page/v1:01').toString('base64url'),
          Buffer.from('something else').toString('base64url'),
          'x'.repeat(100),
        ]) {
          await expectError(store.query({ pageToken }), InvalidArgumentError, token);
        }
        await expectError(
          store.query({ pageSize: 0 }),
          InvalidArgumentError,
          'pageSize must be an integer from 1 to 1000, got 0',
        );
        await expectError(
          store.query({ pageSize: 1001 }),
          InvalidArgumentError,
          'pageSize must be an integer from 1 to 1000, got 1001',
        );
        await expectError(
          store.query({ sinceMs: 10, untilMs: 5 }),
          InvalidArgumentError,
          'untilMs 5 is before sinceMs 10',
        );
        await expectError(
          store.query({ outcome: 'maybe' as never }),
          InvalidArgumentError,
          'outcome must be one of success, denied, failure, got maybe',
        );
        await expectError(
          store.query({ agentId: '' }),
          InvalidArgumentError,
          'agentId must not be empty; omit it to match every agent',
        );
        await expectError(
          store.query({ actions: ['.'] }),
          InvalidArgumentError,
          "actions[0] must be an action name (message.sent) or a prefix ending in '.' (message.)",
        );
      });
    });

    it('keeps one checkpoint per size, growing in size and time', async () => {
      let clock = 1_750_000_000_000;
      const trail = trailOn(store, () => clock);
      expect(await trail.checkpoint()).toBeUndefined();
      await store.append(Array.from({ length: 5 }, (_, i) => entryInput(i)));
      const first = (await trail.checkpoint()) as SignedCheckpoint;
      expect(first.treeSize).toBe(5);
      expect(first.timeMs).toBe(clock);
      expect(await verifyCheckpointSignature(provider, signer.publicKey, first)).toBe(true);
      expect(await other.latestCheckpoint()).toEqual(first);
      clock += 1000;
      expect(await trail.checkpoint()).toEqual(first); // the log did not grow

      expect(await store.saveCheckpoint(first)).toBe('duplicate');
      const resigned = await signCheckpoint(signer, { ...first, timeMs: clock });
      expect(await other.saveCheckpoint(resigned)).toBe('duplicate');
      expect(await store.checkpointAt(5)).toEqual(first);

      await other.append([entryInput(5), entryInput(6), entryInput(7)]);
      const second = (await trail.checkpoint()) as SignedCheckpoint;
      expect(second.treeSize).toBe(8);
      const six = await signCheckpoint(signer, {
        treeSize: 6,
        rootHash: await treeRoot(hasher, store, 6),
        timeMs: clock + 10,
      });
      expect(await store.saveCheckpoint(six)).toBe('out-of-order');
      await store.append([entryInput(8)]);
      const earlier = await signCheckpoint(signer, {
        treeSize: 9,
        rootHash: await treeRoot(hasher, store, 9),
        timeMs: second.timeMs - 1,
      });
      expect(await store.saveCheckpoint(earlier)).toBe('out-of-order');

      expect(await store.checkpointAt(6)).toBeUndefined();
      expect(await store.listCheckpoints(0, 10)).toEqual([first, second]);
      expect(await other.listCheckpoints(5, 10)).toEqual([second]);
      expect(await store.listCheckpoints(0, 1)).toEqual([first]);
      expect(await store.latestCheckpoint()).toEqual(second);

      // A lagging clock never makes a checkpoint go back in time.
      clock = 0;
      const third = (await trail.checkpoint()) as SignedCheckpoint;
      expect(third).toMatchObject({ treeSize: 9, timeMs: second.timeMs });
    });

    it('refuses checkpoints that do not describe the log', async () => {
      await store.append([entryInput(0), entryInput(1)]);
      const root = await treeRoot(hasher, store, 2);
      await expectError(
        store.saveCheckpoint(
          await signCheckpoint(signer, { treeSize: 3, rootHash: root, timeMs: 1 }),
        ),
        InvalidArgumentError,
        "checkpoint tree size 3 exceeds the log's 2 entries",
      );
      await expectError(
        store.saveCheckpoint(
          await signCheckpoint(signer, { treeSize: 1, rootHash: root, timeMs: 1 }),
        ),
        InvalidArgumentError,
        "checkpoint root does not match the log's root at tree size 1",
      );
      await expectError(
        store.saveCheckpoint({
          ...(await signCheckpoint(signer, { treeSize: 2, rootHash: root, timeMs: 1 })),
          keyId: '',
        }),
        InvalidArgumentError,
        'checkpoint keyId must be a non-empty string',
      );
      expect(await store.latestCheckpoint()).toBeUndefined();
    });

    it('answers the same roots and proofs as the in-memory log, verifiable offline', async () => {
      const memory = new MemoryAuditLog(hasher);
      const trail = trailOn(store);
      const leavesOnly = { size: () => store.size(), leafHash: (i: number) => store.leafHash(i) };
      const checkpoints: SignedCheckpoint[] = [];
      let n = 0;
      for (const batch of [1, 1, 2, 3, 5, 8, 13, 1, 7, 16, 32, 1, 3]) {
        const inputs = Array.from({ length: batch }, (_, i) => entryInput(n + i));
        await (n % 2 === 0 ? store : other).append(inputs);
        for (const input of inputs) memory.append(input);
        n += batch;
        const root = memory.tree.rootHash();
        expect(await treeRoot(hasher, store, n)).toEqual(root);
        expect(await treeRoot(hasher, leavesOnly, n)).toEqual(root);
        const checkpoint = (await trail.checkpoint()) as SignedCheckpoint;
        expect(checkpoint).toMatchObject({ treeSize: n, rootHash: root });
        for (const leaf of new Set([0, Math.floor(n / 3), Math.floor(n / 2), n - 1])) {
          const proof = await trail.inclusionProof(leaf, n);
          expect(proof).toEqual(await memory.inclusionProof(leaf, n));
          const [entry] = await store.entries(leaf, 1);
          await verifyInclusion(entry as AuditEntry, proof, checkpoint, signer.publicKey);
        }
        for (const older of checkpoints) {
          const proof = await trail.consistencyProof(older.treeSize, n);
          expect(proof).toEqual(await memory.consistencyProof(older.treeSize, n));
          await verifyConsistency(older, checkpoint, proof, signer.publicKey);
        }
        checkpoints.push(checkpoint);
      }
      expect(await allEntries(store)).toEqual(memory.entries);
      // Every complete subtree in the node table is the one recomputation gives.
      for (let level = 1; 2 ** level <= n; level++) {
        for (let index = 0; (index + 1) * 2 ** level <= n; index++) {
          expect(await store.nodeHash(level, index)).toEqual(memory.tree.nodeHash(level, index));
        }
      }
      await expectError(
        store.nodeHash(7, 0),
        NotFoundError,
        'the audit log has no complete subtree at level 7, index 0',
      );
      const result = await verifyAuditLog(memory.entries, checkpoints, signer.publicKey);
      expect(result).toMatchObject({ entryCount: n, verifiedSize: n });
    });

    it('continues the chain and the tree after a restart', async () => {
      const before = await store.append(Array.from({ length: 10 }, (_, i) => entryInput(i)));
      const older = (await trailOn(store).checkpoint()) as SignedCheckpoint;
      const restarted = await opened.restart();
      expect(await restarted.other.size()).toBe(10);
      expect(await restarted.store.latestCheckpoint()).toEqual(older);
      const after = await restarted.other.append(
        Array.from({ length: 7 }, (_, i) => entryInput(10 + i)),
      );
      expect(after[0]?.sequence).toBe(10);
      expect(after[0]?.previousHash).toEqual(auditEntryHash(hasher, before[9] as AuditEntry));
      const trail = trailOn(restarted.store);
      const newer = (await trail.checkpoint()) as SignedCheckpoint;
      expect(newer.treeSize).toBe(17);
      const proof = await trail.consistencyProof(10, 17);
      await verifyConsistency(older, newer, proof, signer.publicKey);
      const entries = await allEntries(restarted.store);
      expect(entries).toEqual([...before, ...after]);
      await verifyAuditLog(entries, [older, newer], signer.publicKey);
    });

    it('keeps one chain when two instances append at once', async () => {
      const trail = trailOn(store);
      let random = 7;
      const nextBatch = () => {
        random = (random * 1103515245 + 12345) % 2 ** 31;
        return 1 + (random % 9);
      };
      const run = async (target: SqlAuditStore, total: number, tag: string) => {
        for (let done = 0; done < total; ) {
          const count = Math.min(nextBatch(), total - done);
          const batch = Array.from({ length: count }, (_, i) => ({
            ...entryInput(done + i),
            actor: `${tag}-${done + i}`,
          }));
          const appended = await target.append(batch);
          // Each batch is contiguous: one transaction, one lock.
          expect(appended.map((e) => e.sequence - (appended[0]?.sequence ?? 0))).toEqual(
            batch.map((_, i) => i),
          );
          done += count;
          if (done % 3 === 0) await trail.checkpoint();
        }
      };
      await Promise.all([run(store, 150, 'a'), run(other, 150, 'b'), run(other, 100, 'c')]);
      await trail.checkpoint();
      const entries = await allEntries(store);
      expect(entries).toHaveLength(400);
      expectChain(entries);
      for (const tag of ['a', 'b', 'c']) {
        // Each writer's entries appear in the order it appended them.
        const own = entries.filter((e) => e.actor.startsWith(`${tag}-`));
        expect(own.map((e) => e.actor)).toEqual(own.map((_, i) => `${tag}-${i}`));
      }
      const stored = await store.listCheckpoints(0, 1000);
      await verifyAuditLog(entries, stored, signer.publicKey);
      for (const [i, checkpoint] of stored.entries()) {
        if (i === 0) continue;
        const older = stored[i - 1] as SignedCheckpoint;
        const proof = await trail.consistencyProof(older.treeSize, checkpoint.treeSize);
        await verifyConsistency(older, checkpoint, proof, signer.publicKey);
      }
      expect(stored.at(-1)?.treeSize).toBe(400);
    });
  });
}
