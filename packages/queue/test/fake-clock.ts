/**
 * A controllable clock for adapters that take time only from `nowMs` (the embedded queue):
 * `advance` jumps at once, so lease and TTL cases run without sleeping.
 */
import type { ContractClock } from './contract/message-queue.contract.ts';

/** A clock starting at `startMs` that moves only when advanced. */
export function fakeClock(startMs = 1_700_000_000_000): ContractClock {
  let now = startMs;
  return {
    now: () => now,
    advance: async (ms: number) => {
      now += ms;
    },
  };
}
