/**
 * Placeholders for a multi-row VALUES list in the PostgreSQL form every store writes (`$n`; the
 * SQLite adapter rewrites them), so batched statements need not build their SQL by hand.
 */

/** `($1, $2, …), (…)`: `rows` tuples of `columns` placeholders, numbered from `first`. */
export function valuesList(rows: number, columns: number, first = 1): string {
  const groups: string[] = [];
  for (let row = 0; row < rows; row++) {
    const cells: string[] = [];
    for (let column = 0; column < columns; column++) {
      cells.push(`$${first + row * columns + column}`);
    }
    groups.push(`(${cells.join(', ')})`);
  }
  return groups.join(', ');
}
