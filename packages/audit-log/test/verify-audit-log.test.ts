/**
 * The offline verifier against a 1,000-entry log with a signed checkpoint every 100 entries.
 * Every tampering is tried twice: naively (the forger changes only the entries it wants) and as a
 * forger who then renumbers and re-chains everything after (so the hash chain alone looks fine);
 * the second is what the signed checkpoints are for.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type AuditEntry,
  AuditVerificationError,
  encodeAuditEntry,
  MemoryAuditLog,
  MerkleHasher,
  type SignedCheckpoint,
  signCheckpoint,
  verifyAuditLog,
  verifyConsistency,
  verifyInclusion,
} from '../src/index.ts';
import { auditSigner, buildLog, entryInput, providers, rechain } from './fixtures.ts';

const provider = providers[0] as (typeof providers)[number];
const options = { provider };

async function failure(promise: Promise<unknown>): Promise<AuditVerificationError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(AuditVerificationError);
    return error as AuditVerificationError;
  }
  throw new Error('verification passed but should have failed');
}

function facts(error: AuditVerificationError) {
  return {
    check: error.check,
    entryIndex: error.entryIndex,
    checkpointIndex: error.checkpointIndex,
    message: error.message,
  };
}

describe(`verifyAuditLog on a 1,000-entry log (${provider.name} provider)`, () => {
  let entries: readonly AuditEntry[];
  let checkpoints: SignedCheckpoint[];

  beforeAll(async () => {
    const built = await buildLog(provider, 1000, 100);
    entries = built.log.entries;
    checkpoints = built.checkpoints;
  });

  const verify = (list: readonly AuditEntry[], cps = checkpoints) =>
    verifyAuditLog(list, cps, auditSigner(provider).publicKey, options);

  it('passes the untouched log', async () => {
    const result = await verify(entries);
    expect(result.entryCount).toBe(1000);
    expect(result.checkpointCount).toBe(10);
    expect(result.verifiedSize).toBe(1000);
    expect(result.rootHash).toEqual(checkpoints[9]?.rootHash);
  });

  const edited = (i: number) =>
    entries.map((e, j) => (j === i ? { ...e, reason: `${e.reason}!` } : e));

  it.each([
    [0, 'entry 1: previous hash does not match the hash of entry 0', 1],
    [500, 'entry 501: previous hash does not match the hash of entry 500', 501],
  ])('detects editing entry %i (chain)', async (i, message, at) => {
    expect(facts(await failure(verify(edited(i))))).toEqual({
      check: 'chain',
      entryIndex: at,
      checkpointIndex: undefined,
      message,
    });
  });

  it.each([
    [0, 0, 0],
    [500, 5, 500],
    [999, 9, 900],
  ])('detects editing entry %i even when re-chained (checkpoint %i)', async (i, cp, from) => {
    const list = i === 999 ? edited(i) : rechain(provider, edited(i));
    expect(facts(await failure(verify(list)))).toEqual({
      check: 'checkpoint-root',
      entryIndex: from,
      checkpointIndex: cp,
      message: `checkpoint ${cp} (size ${(cp + 1) * 100}): its root does not match the entries; an entry in [${from}, ${(cp + 1) * 100}) differs from what was signed`,
    });
  });

  const removed = (i: number) => entries.filter((_, j) => j !== i);

  it.each([0, 500])('detects removing entry %i (sequence)', async (i) => {
    expect(facts(await failure(verify(removed(i))))).toEqual({
      check: 'sequence',
      entryIndex: i,
      checkpointIndex: undefined,
      message: `entry ${i} has sequence ${i + 1}, expected ${i}`,
    });
  });

  it.each([
    [0, 0, 0],
    [500, 5, 500],
  ])('detects removing entry %i even when renumbered and re-chained', async (i, cp, from) => {
    expect(facts(await failure(verify(rechain(provider, removed(i)))))).toMatchObject({
      check: 'checkpoint-root',
      entryIndex: from,
      checkpointIndex: cp,
    });
  });

  it('detects removing the last entry (the last checkpoint covers more than is left)', async () => {
    expect(facts(await failure(verify(removed(999))))).toEqual({
      check: 'checkpoint-size',
      entryIndex: 999,
      checkpointIndex: 9,
      message: 'checkpoint 9 covers 1000 entries but the log has 999',
    });
  });

  const swapped = (i: number) => {
    const list = [...entries];
    [list[i], list[i + 1]] = [list[i + 1] as AuditEntry, list[i] as AuditEntry];
    return list;
  };

  it.each([0, 500, 998])('detects swapping entries %i and %i + 1 (sequence)', async (i) => {
    expect(facts(await failure(verify(swapped(i))))).toEqual({
      check: 'sequence',
      entryIndex: i,
      checkpointIndex: undefined,
      message: `entry ${i} has sequence ${i + 1}, expected ${i}`,
    });
  });

  it.each([0, 500, 998])(
    'detects swapping entries %i and %i + 1 when re-chained by the time going back',
    async (i) => {
      expect(facts(await failure(verify(rechain(provider, swapped(i)))))).toEqual({
        check: 'time-order',
        entryIndex: i + 1,
        checkpointIndex: undefined,
        message: `entry ${i + 1}: time ${1_750_000_000_000 + i} is earlier than the time ${1_750_000_000_001 + i} of entry ${i}; the log never lets times go back`,
      });
    },
  );

  /** Swapped, but each position keeps its time: what a forger who knows the time rule does. */
  const swappedKeepingTimes = (i: number) =>
    swapped(i).map((e, j) => ({ ...e, timeMs: (entries[j] as AuditEntry).timeMs }));

  it.each([
    [0, 0, 0],
    [500, 5, 500],
    [998, 9, 900],
  ])(
    'detects swapping entries %i and %i + 1 even when times are kept, renumbered and re-chained',
    async (i, cp, from) => {
      expect(facts(await failure(verify(rechain(provider, swappedKeepingTimes(i)))))).toMatchObject(
        {
          check: 'checkpoint-root',
          entryIndex: from,
          checkpointIndex: cp,
        },
      );
    },
  );

  /** An extra entry at position i, with the time of its neighbour so times stay in order. */
  const inserted = (i: number): AuditEntry[] => {
    const before = entries[i - 1];
    const extra: AuditEntry = {
      ...entryInput(5000),
      timeMs: (before ?? (entries[0] as AuditEntry)).timeMs,
      sequence: i,
      previousHash:
        before === undefined
          ? new Uint8Array(32)
          : (entries[i]?.previousHash ?? new Uint8Array(32)),
    };
    return [...entries.slice(0, i), extra, ...entries.slice(i)];
  };

  it.each([0, 500, 999])('detects inserting an entry at %i (sequence of the next)', async (i) => {
    expect(facts(await failure(verify(inserted(i))))).toEqual({
      check: 'sequence',
      entryIndex: i + 1,
      checkpointIndex: undefined,
      message: `entry ${i + 1} has sequence ${i}, expected ${i + 1}`,
    });
  });

  it.each([
    [0, 0, 0],
    [500, 5, 500],
    [999, 9, 900],
  ])(
    'detects inserting an entry at %i even when renumbered and re-chained',
    async (i, cp, from) => {
      expect(facts(await failure(verify(rechain(provider, inserted(i)))))).toMatchObject({
        check: 'checkpoint-root',
        entryIndex: from,
        checkpointIndex: cp,
      });
    },
  );

  it('detects an entry whose time goes back, even where the chain cannot (the last entry)', async () => {
    const list = entries.map((e, j) => (j === 999 ? { ...e, timeMs: e.timeMs - 2 } : e));
    expect(facts(await failure(verify(list)))).toEqual({
      check: 'time-order',
      entryIndex: 999,
      checkpointIndex: undefined,
      message:
        'entry 999: time 1750000000997 is earlier than the time 1750000000998 of entry 998; the log never lets times go back',
    });
    // A time that stays in order is only caught by the checkpoint over it.
    const later = entries.map((e, j) => (j === 999 ? { ...e, timeMs: e.timeMs + 1 } : e));
    expect(facts(await failure(verify(later)))).toMatchObject({
      check: 'checkpoint-root',
      checkpointIndex: 9,
    });
  });

  it('detects a time going back in the re-chained, uncheckpointed tail', async () => {
    const tail = [1000, 1001, 1002].map((i) => ({
      ...entryInput(i),
      timeMs: i === 1001 ? 1 : 1_750_000_000_000 + i,
      sequence: 0,
      previousHash: new Uint8Array(32),
    }));
    const list = rechain(provider, [...entries, ...tail]);
    const error = await failure(
      verifyAuditLog(list, checkpoints, auditSigner(provider).publicKey, {
        ...options,
        allowUncheckpointedTail: true,
      }),
    );
    expect(facts(error)).toEqual({
      check: 'time-order',
      entryIndex: 1001,
      checkpointIndex: undefined,
      message:
        'entry 1001: time 1 is earlier than the time 1750000001000 of entry 1000; the log never lets times go back',
    });
    expect(error.metadata).toEqual({ check: 'time-order', entryIndex: '1001' });
  });

  it('accepts equal times of neighbours', async () => {
    const log = new MemoryAuditLog(new MerkleHasher(provider));
    for (let i = 0; i < 3; i++) log.append({ ...entryInput(i), timeMs: 7 });
    const signed = await log.checkpoint(auditSigner(provider), 7);
    const result = await verifyAuditLog(log.entries, [signed], auditSigner(provider).publicKey, {
      ...options,
    });
    expect(result.verifiedSize).toBe(3);
  });

  it('detects an entry appended after the last checkpoint, unless that is allowed', async () => {
    const list = rechain(provider, [
      ...entries,
      { ...entryInput(1000), sequence: 0, previousHash: new Uint8Array(32) },
    ]);
    expect(facts(await failure(verify(list)))).toEqual({
      check: 'coverage',
      entryIndex: 1000,
      checkpointIndex: undefined,
      message: 'entries 1000..1000 are not covered by a signed checkpoint',
    });
    const result = await verifyAuditLog(list, checkpoints, auditSigner(provider).publicKey, {
      ...options,
      allowUncheckpointedTail: true,
    });
    expect(result.verifiedSize).toBe(1000);
    expect(result.entryCount).toBe(1001);
  });

  it('detects a forged, reordered or foreign-key checkpoint', async () => {
    const forged = checkpoints.map((c, j) => (j === 3 ? { ...c, timeMs: c.timeMs + 1 } : c));
    expect(facts(await failure(verify(entries, forged)))).toEqual({
      check: 'checkpoint-signature',
      entryIndex: undefined,
      checkpointIndex: 3,
      message: "checkpoint 3 (size 400): the audit key's signature does not verify",
    });
    const reordered = [
      checkpoints[1],
      checkpoints[0],
      ...checkpoints.slice(2),
    ] as SignedCheckpoint[];
    expect(facts(await failure(verify(entries, reordered)))).toMatchObject({
      check: 'checkpoint-order',
      checkpointIndex: 1,
    });
    const other = auditSigner(provider, 1);
    const foreign = await signCheckpoint(other, checkpoints[9] as SignedCheckpoint);
    expect(facts(await failure(verify(entries, [...checkpoints.slice(0, 9), foreign])))).toEqual({
      check: 'checkpoint-signature',
      entryIndex: undefined,
      checkpointIndex: 9,
      message: `checkpoint 9 (size 1000) names key ${other.keyId}, not the audit key ${auditSigner(provider).keyId}`,
    });
    const malformed = { ...(checkpoints[0] as SignedCheckpoint), rootHash: new Uint8Array(3) };
    expect(facts(await failure(verify(entries, [malformed])))).toEqual({
      check: 'checkpoint-signature',
      entryIndex: undefined,
      checkpointIndex: 0,
      message: 'checkpoint 0 is malformed: rootHash must be 32 bytes, got 3',
    });
  });

  it('reports a malformed entry by index', async () => {
    const list = entries.map((e, j) => (j === 42 ? { ...e, outcome: 'maybe' as 'success' } : e));
    expect(facts(await failure(verify(list)))).toEqual({
      check: 'entry-encoding',
      entryIndex: 42,
      checkpointIndex: undefined,
      message: 'entry 42 is malformed: outcome must be one of success, denied, failure, got maybe',
    });
  });

  it('carries DATA_LOSS and the check in the error metadata', async () => {
    const error = await failure(verify(edited(0)));
    expect(error.code).toBe(15);
    expect(error.metadata).toEqual({ check: 'chain', entryIndex: '1' });
  });
});

describe.each(providers)('verifyInclusion and verifyConsistency ($name provider)', (provider) => {
  const key = auditSigner(provider).publicKey;
  const opts = { provider };

  it('accept honest proofs and refuse every single change of the claim', async () => {
    const { log, checkpoints } = await buildLog(provider, 37, 10);
    const cp = checkpoints[3] as SignedCheckpoint; // size 37
    const older = checkpoints[1] as SignedCheckpoint; // size 20
    const entry = log.entries[13] as AuditEntry;
    const proof = await log.inclusionProof(13, 37);
    await verifyInclusion(entry, proof, cp, key, opts);

    const other = log.entries[14] as AuditEntry;
    expect(facts(await failure(verifyInclusion(other, proof, cp, key, opts)))).toEqual({
      check: 'inclusion',
      entryIndex: 14,
      checkpointIndex: undefined,
      message: 'the inclusion proof is for entry 13, not entry 14',
    });
    expect(
      facts(await failure(verifyInclusion({ ...entry, reason: 'x' }, proof, cp, key, opts))),
    ).toEqual({
      check: 'inclusion',
      entryIndex: 13,
      checkpointIndex: undefined,
      message: 'entry 13 is not proven to be in the checkpoint of 37 entries',
    });
    for (const treeSize of [36, 39, 5, 33]) {
      expect(
        (await failure(verifyInclusion(entry, { ...proof, treeSize }, cp, key, opts))).message,
      ).toBe(`the inclusion proof is for tree size ${treeSize}, the checkpoint for 37`);
      expect(
        (await failure(verifyInclusion(entry, proof, { ...cp, treeSize }, key, opts))).check,
      ).toBe('checkpoint-signature');
    }
    const badPath = proof.hashes.map((h, i) =>
      i === 2 ? Uint8Array.from(h, (b, j) => (j === 0 ? b ^ 1 : b)) : h,
    );
    expect(
      (await failure(verifyInclusion(entry, { ...proof, hashes: badPath }, cp, key, opts))).check,
    ).toBe('inclusion');

    const consistency = await log.consistencyProof(20, 37);
    await verifyConsistency(older, cp, consistency, key, opts);
    expect(facts(await failure(verifyConsistency(cp, older, consistency, key, opts)))).toEqual({
      check: 'consistency',
      entryIndex: undefined,
      checkpointIndex: 1,
      message: 'the consistency proof is for sizes 20 → 37, the checkpoints are 37 → 20',
    });
    const wrong = await log.consistencyProof(20, 30);
    expect(
      facts(await failure(verifyConsistency(older, cp, { ...wrong, toSize: 37 }, key, opts))),
    ).toEqual({
      check: 'consistency',
      entryIndex: undefined,
      checkpointIndex: 1,
      message: 'the checkpoint of 37 entries is not proven to extend the checkpoint of 20',
    });
  });

  it('refuses a checkpoint of a rewritten history that no consistency proof joins', async () => {
    const honest = await buildLog(provider, 30, 10);
    const signer = auditSigner(provider);
    // A log that signed size 20, then rewrote entry 5 and signed size 30 over the new history.
    const rewritten = rechain(
      provider,
      honest.log.entries.map((e, i) => (i === 5 ? { ...e, reason: 'rewritten' } : e)),
    );
    const forged = new MemoryAuditLog(new MerkleHasher(provider));
    for (const e of rewritten) forged.append(e);
    expect(forged.entries.map((e) => encodeAuditEntry(e))).toEqual(
      rewritten.map((e) => encodeAuditEntry(e)),
    );
    const forgedCheckpoint = await forged.checkpoint(signer, 1_750_000_000_100);
    const older = honest.checkpoints[1] as SignedCheckpoint;
    const proof = await forged.consistencyProof(20, 30);
    expect(
      (await failure(verifyConsistency(older, forgedCheckpoint, proof, key, opts))).check,
    ).toBe('consistency');
  });
});
