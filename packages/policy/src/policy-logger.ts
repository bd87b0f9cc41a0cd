/**
 * The logger the policy package writes through. The same shape as `@proof-messenger/rpc`'s
 * Logger (pino's call shape), declared here so this library does not depend on the RPC stack:
 * a service passes its own logger.
 */

/** Where policy warnings and failures are logged. */
export interface PolicyLogger {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

/** Drops everything. */
export const SILENT_POLICY_LOGGER: PolicyLogger = {
  info: () => {},
  warn: () => {},
  error: () => {},
};
