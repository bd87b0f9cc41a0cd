/**
 * Port: the audit trail of key changes. A simple append-only implementation for now; the
 * authorization and audit issue (#7) replaces it with the hash-chained, Merkle-checkpointed log
 * behind this same port. Entries never contain secrets or plaintext.
 */

export interface AuditEvent {
  readonly atMs: number;
  /** Who acted: an agent id, `operator:<name>`, or `system:<component>`. */
  readonly actor: string;
  /** What happened, e.g. `identity.registered`, `prekey.consumed`. */
  readonly action: string;
  /** What it happened to, e.g. an agent id or `owner->peer`. */
  readonly target: string;
  readonly outcome: 'success' | 'denied' | 'failed';
  readonly reason: string;
  /** Non-secret facts: key ids, counts. */
  readonly details: Readonly<Record<string, string>>;
}

export interface AuditLog {
  append(event: AuditEvent): Promise<void>;
  /** Events about `target` (or all when undefined), oldest first, at most `limit`. */
  list(target: string | undefined, limit: number): Promise<AuditEvent[]>;
}
