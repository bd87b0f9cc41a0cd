/** Shortens audit text to fit the audit log's per-field limit (1,024 UTF-8 bytes). */
export function clip(text: string, maxChars = 300): string {
  return text.length > maxChars ? `${text.slice(0, maxChars - 3)}...` : text;
}
