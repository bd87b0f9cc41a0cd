/** WriteCoalescer: what arrives in one turn is one batch, within its limits; failures stay in their batch. */
import { describe, expect, it } from 'vitest';
import { WriteCoalescer } from '../src/stores/write-coalescer.ts';

/** A writer that records its batches and answers each item doubled, after `release()`. */
function recordingWriter() {
  const batches: number[][] = [];
  let open = 0;
  let mostOpen = 0;
  const gates: Array<() => void> = [];
  return {
    batches,
    mostOpen: () => mostOpen,
    release: () => {
      for (const gate of gates.splice(0)) gate();
    },
    write: async (items: readonly number[]) => {
      batches.push([...items]);
      open++;
      mostOpen = Math.max(mostOpen, open);
      await new Promise<void>((resolve) => gates.push(resolve));
      open--;
      return items.map((item) => item * 2);
    },
  };
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('WriteCoalescer', () => {
  it('writes the items of one turn as one batch and answers each with its own result', async () => {
    const writer = recordingWriter();
    const coalescer = new WriteCoalescer(writer.write, { maxBatch: 100, maxInFlight: 1 });
    const results = Promise.all([1, 2, 3].map((n) => coalescer.submit(n)));
    await turn();
    writer.release();
    expect(await results).toEqual([2, 4, 6]);
    expect(writer.batches).toEqual([[1, 2, 3]]);
  });

  it('splits at maxBatch and keeps at most maxInFlight batches running', async () => {
    const writer = recordingWriter();
    const coalescer = new WriteCoalescer(writer.write, { maxBatch: 2, maxInFlight: 2 });
    const results = Promise.all([1, 2, 3, 4, 5].map((n) => coalescer.submit(n)));
    await turn();
    expect(writer.batches).toEqual([
      [1, 2],
      [3, 4],
    ]);
    // What arrives while both run waits, and goes with the rest once one finishes.
    const late = coalescer.submit(6);
    await turn();
    expect(writer.batches).toHaveLength(2);
    writer.release();
    for (let i = 0; i < 5 && writer.batches.length < 3; i++) await turn();
    writer.release();
    expect(await results).toEqual([2, 4, 6, 8, 10]);
    expect(await late).toBe(12);
    expect(writer.batches).toEqual([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    expect(writer.mostOpen()).toBe(2);
  });

  it('rejects only the items of a failed batch, and keeps working', async () => {
    let calls = 0;
    const coalescer = new WriteCoalescer(
      async (items: readonly number[]) => {
        calls++;
        if (calls === 1) throw new Error('connection lost');
        return items.map((item) => item + 1);
      },
      { maxBatch: 10, maxInFlight: 1 },
    );
    const failed = Promise.allSettled([coalescer.submit(1), coalescer.submit(2)]);
    expect((await failed).map((outcome) => outcome.status)).toEqual(['rejected', 'rejected']);
    await expect(coalescer.submit(1)).resolves.toBe(2);
  });

  it('rejects a batch whose writer answers the wrong number of results', async () => {
    const coalescer = new WriteCoalescer(async () => [1], { maxBatch: 10, maxInFlight: 1 });
    const both = Promise.allSettled([coalescer.submit(1), coalescer.submit(2)]);
    expect(
      (await both).map((outcome) => outcome.status === 'rejected' && String(outcome.reason)),
    ).toEqual([
      'Error: a batch of 2 writes returned 1 results',
      'Error: a batch of 2 writes returned 1 results',
    ]);
  });

  it('refuses limits that are not positive integers', () => {
    const write = async (items: readonly number[]) => items;
    expect(() => new WriteCoalescer(write, { maxBatch: 0, maxInFlight: 1 })).toThrow(
      new RangeError('maxBatch must be a positive integer, got 0'),
    );
    expect(() => new WriteCoalescer(write, { maxBatch: 1, maxInFlight: 1.5 })).toThrow(
      new RangeError('maxInFlight must be a positive integer, got 1.5'),
    );
  });
});
