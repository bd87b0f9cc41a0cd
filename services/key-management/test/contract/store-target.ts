/**
 * What a contract suite is given: a way to open fresh, empty storage with two store instances on
 * it. `other` stands for a second service instance (its own connection pool on PostgreSQL, its
 * own Redis client), so the suites can check promises that must hold across instances.
 */
import { expect } from 'vitest';

/** Two instances of a store over the same (initially empty) data. */
export interface StoreInstances<S> {
  readonly store: S;
  readonly other: S;
  close(): Promise<void>;
}

/** Opens fresh storage for one test. */
export type OpenStore<S> = () => Promise<StoreInstances<S>>;

/** Awaits `promise` and asserts it rejects with exactly this class and message. */
export async function expectError(
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

/** Deterministic bytes of a given length, different for each seed. */
export function bytes(seed: number, length: number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (seed * 31 + i * 7) & 0xff);
}
