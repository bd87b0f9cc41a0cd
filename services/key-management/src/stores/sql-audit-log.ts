/**
 * AuditLog on SqlDatabase: an append-only table, ordered by an increasing sequence number. The
 * hash-chained, Merkle-checkpointed log of issue #7 replaces it behind the same port. `list`
 * returns the oldest `limit` events (of `target`, or all), oldest first.
 */
import type { SqlDatabase } from '@proof-messenger/storage';
import type { AuditEvent, AuditLog } from '../ports/audit-log.ts';

interface EventRow {
  at_ms: number;
  actor: string;
  action: string;
  target: string;
  outcome: AuditEvent['outcome'];
  reason: string;
  details: string;
}

const COLUMNS = 'at_ms, actor, action, target, outcome, reason, details';

function toEvent(row: EventRow): AuditEvent {
  return {
    atMs: row.at_ms,
    actor: row.actor,
    action: row.action,
    target: row.target,
    outcome: row.outcome,
    reason: row.reason,
    details: JSON.parse(row.details) as Record<string, string>,
  };
}

/** See the module comment. */
export class SqlAuditLog implements AuditLog {
  readonly #db: SqlDatabase;

  constructor(db: SqlDatabase) {
    this.#db = db;
  }

  async append(event: AuditEvent): Promise<void> {
    await this.#db.execute(
      `INSERT INTO audit_events (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [
        event.atMs,
        event.actor,
        event.action,
        event.target,
        event.outcome,
        event.reason,
        JSON.stringify(event.details),
      ],
    );
  }

  /** @throws RangeError when limit is not a non-negative integer */
  async list(target: string | undefined, limit: number): Promise<AuditEvent[]> {
    if (!Number.isSafeInteger(limit) || limit < 0) {
      throw new RangeError(`limit must be a non-negative integer, got ${limit}`);
    }
    const rows =
      target === undefined
        ? await this.#db.query<EventRow>(
            `SELECT ${COLUMNS} FROM audit_events ORDER BY seq LIMIT $1`,
            [limit],
          )
        : await this.#db.query<EventRow>(
            `SELECT ${COLUMNS} FROM audit_events WHERE target = $1 ORDER BY seq LIMIT $2`,
            [target, limit],
          );
    return rows.map(toEvent);
  }
}
