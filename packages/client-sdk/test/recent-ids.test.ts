import { expect, it } from 'vitest';
import { RecentIds } from '../src/internal/recent-ids.ts';

it('forgets the oldest ids beyond the entry limit', () => {
  const ids = new RecentIds(2, 60_000, () => 0);
  ids.add('a');
  ids.add('b');
  ids.add('c');
  expect([ids.has('a'), ids.has('b'), ids.has('c')]).toEqual([false, true, true]);
  expect(ids.size).toBe(2);
});

it('forgets ids older than the age limit', () => {
  let now = 1_000;
  const ids = new RecentIds(10, 500, () => now);
  ids.add('a');
  now = 1_400;
  ids.add('b');
  expect(ids.has('a')).toBe(true);
  now = 1_500;
  expect([ids.has('a'), ids.has('b')]).toEqual([false, true]);
  now = 1_900;
  expect(ids.has('b')).toBe(false);
  expect(ids.size).toBe(0);
});

it('refreshes an id added again', () => {
  let now = 0;
  const ids = new RecentIds(10, 500, () => now);
  ids.add('a');
  now = 400;
  ids.add('a');
  now = 800;
  expect(ids.has('a')).toBe(true);
});
