/**
 * Rewrites PostgreSQL placeholders (`$1`) to SQLite's numbered form (`?1`), so the stores write
 * their SQL once. Quoted text ('…', "…") and comments are copied unchanged, so a `$1` inside a
 * string literal is left alone.
 */
const TOKENS = /'(?:[^']|'')*'|"(?:[^"]|"")*"|--[^\n]*|\/\*[\s\S]*?\*\/|\$(\d+)/g;

/** `$n` → `?n` outside literals and comments. */
export function toSqlitePlaceholders(sql: string): string {
  return sql.replace(TOKENS, (token: string, index: string | undefined) =>
    index === undefined ? token : `?${index}`,
  );
}
