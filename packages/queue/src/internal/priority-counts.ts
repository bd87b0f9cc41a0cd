/**
 * Building the per-priority counts of `MessageQueue.stats` from rows or subjects that carry the
 * stored priority (1 LOW … 4 CRITICAL, as `proofmessenger.v1.Priority`).
 */
import type { PriorityCounts, QueuePriority } from '../message-queue.ts';

const NAMES: Readonly<Record<QueuePriority, keyof PriorityCounts>> = {
  1: 'low',
  2: 'normal',
  3: 'high',
  4: 'critical',
};

/** The name of a stored priority in `PriorityCounts`; out-of-range values count as the nearest. */
export function priorityName(priority: number): keyof PriorityCounts {
  return NAMES[Math.min(4, Math.max(1, Math.trunc(priority) || 2)) as QueuePriority];
}

/** Counts of zero for every priority, to add to. */
export function zeroCounts(): Record<keyof PriorityCounts, number> {
  return { low: 0, normal: 0, high: 0, critical: 0 };
}
