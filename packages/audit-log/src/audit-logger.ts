/**
 * What the audit log's background parts (recorder, checkpoint scheduler) report trouble through:
 * the warn/error half of the services' structured Logger (@proof-messenger/rpc), declared here so
 * this package does not depend on the RPC stack. Fields never carry key material or plaintext.
 */

/** A structured logger: fields first, then the message. */
export interface AuditLogger {
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

/** A logger that drops everything (the default). */
export const SILENT_AUDIT_LOGGER: AuditLogger = { warn: () => {}, error: () => {} };
