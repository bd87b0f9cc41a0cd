/**
 * How the audit commands show entries and checkpoints: text for a terminal (one line per entry,
 * hashes in hex) and JSON objects for `--json` (times in ms and ISO 8601, bytes in hex).
 */
import type { AuditEntry, SignedCheckpoint } from '@proof-messenger/audit-log';
import { toHex } from '@proof-messenger/crypto';
import { isoTime } from './format.ts';

/** An entry as a JSON object. */
export function entryJson(entry: AuditEntry): Record<string, unknown> {
  return {
    sequence: entry.sequence,
    timeMs: entry.timeMs,
    time: isoTime(entry.timeMs),
    actor: entry.actor,
    action: entry.action,
    target: entry.target,
    outcome: entry.outcome,
    reason: entry.reason,
    details: entry.details,
    messageIds: entry.messageIds,
    messageHashes: entry.messageHashes.map(toHex),
    previousHash: toHex(entry.previousHash),
  };
}

/** An entry in full, several lines (for `audit prove`). */
export function entryText(entry: AuditEntry): string {
  const details = Object.entries(entry.details)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  return [
    `entry ${entry.sequence}`,
    `  time:     ${isoTime(entry.timeMs)}`,
    `  actor:    ${entry.actor}`,
    `  action:   ${entry.action}`,
    `  target:   ${entry.target}`,
    `  outcome:  ${entry.outcome}${entry.reason === '' ? '' : ` (${entry.reason})`}`,
    ...(details === '' ? [] : [`  details:  ${details}`]),
    ...(entry.messageIds.length === 0 ? [] : [`  messages: ${entry.messageIds.join(', ')}`]),
    ...entry.messageHashes.map((hash) => `  sha256:   ${toHex(hash)}`),
    '',
  ].join('\n');
}

/** Entries as a table, newest first as given. */
export function entryTable(entries: readonly AuditEntry[]): string {
  const header = ['SEQ', 'TIME', 'ACTION', 'ACTOR', 'TARGET', 'OUTCOME', 'REASON'];
  const rows = entries.map((e) => [
    String(e.sequence),
    isoTime(e.timeMs),
    e.action,
    e.actor,
    e.target,
    e.outcome,
    e.reason,
  ]);
  const widths = header.map((h, i) =>
    Math.max(h.length, ...rows.map((row) => row[i]?.length ?? 0)),
  );
  return [header, ...rows]
    .map((row) =>
      row
        .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
        .join('  ')
        .trimEnd(),
    )
    .map((line) => `${line}\n`)
    .join('');
}

/** A checkpoint as a JSON object. */
export function checkpointJson(checkpoint: SignedCheckpoint): Record<string, unknown> {
  return {
    treeSize: checkpoint.treeSize,
    rootHash: toHex(checkpoint.rootHash),
    timeMs: checkpoint.timeMs,
    time: isoTime(checkpoint.timeMs),
    keyId: checkpoint.keyId,
  };
}

/** A checkpoint in one phrase: `size 12, root ab12…, signed 2026-…Z`. */
export function checkpointPhrase(checkpoint: SignedCheckpoint): string {
  return `size ${checkpoint.treeSize}, root ${toHex(checkpoint.rootHash)}, signed ${isoTime(checkpoint.timeMs)}`;
}
