/**
 * Checks of AuditService request fields, before any storage is read. uint64 fields arrive as
 * bigint; the log's positions are safe integers, so anything larger is refused with the field's
 * name instead of being rounded.
 */
import { InvalidArgumentError } from '@proof-messenger/errors';

/** A uint64 field as a safe integer. */
export function position(field: string, value: bigint): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new InvalidArgumentError(`${field} ${value} is beyond any audit log position`, {
      field,
    });
  }
  return Number(value);
}

/** An int64 time field (ms since the Unix epoch, 0 = no bound) as a number or undefined. */
export function optionalTime(field: string, value: bigint): number | undefined {
  if (value === 0n) return undefined;
  if (value < 0n || value > 8_640_000_000_000_000n) {
    throw new InvalidArgumentError(
      `${field} must be milliseconds since the Unix epoch (0 for no bound), got ${value}`,
      { field },
    );
  }
  return Number(value);
}
