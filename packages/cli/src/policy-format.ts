/** How the `policy` commands show a stored version: one line, several lines, or JSON. */
import type { PolicyVersion } from '@proof-messenger/proto';
import { isoTime } from './format.ts';

/** A version as a JSON object (its text only when the server sent it). */
export function versionJson(version: PolicyVersion): Record<string, unknown> {
  return {
    version: Number(version.version),
    active: version.active,
    sha256: version.sha256,
    author: version.author,
    comment: version.comment,
    createdAtMs: Number(version.createdAtMs),
    createdAt: isoTime(version.createdAtMs),
    ...(version.text === '' ? {} : { text: version.text }),
  };
}

/** A version in several lines, under `title`. */
export function versionText(title: string, version: PolicyVersion): string {
  return [
    title,
    `  version:   ${version.version}${version.active ? ' (active)' : ''}`,
    `  author:    ${version.author}`,
    `  published: ${isoTime(version.createdAtMs)}`,
    `  comment:   ${version.comment === '' ? '(none)' : version.comment}`,
    `  sha256:    ${version.sha256}`,
    '',
  ].join('\n');
}

/** Versions as a table, newest first as given. */
export function versionTable(versions: readonly PolicyVersion[]): string {
  const rows = versions.map((v) => [
    `${v.active ? '*' : ' '} ${v.version}`,
    isoTime(v.createdAtMs),
    v.author,
    v.comment,
  ]);
  const header = ['  VERSION', 'PUBLISHED', 'AUTHOR', 'COMMENT'];
  const widths = header.map((h, i) =>
    Math.max(h.length, ...rows.map((row) => row[i]?.length ?? 0)),
  );
  return [header, ...rows]
    .map((row) =>
      `${row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  ')}`.trimEnd(),
    )
    .map((line) => `${line}\n`)
    .join('');
}
