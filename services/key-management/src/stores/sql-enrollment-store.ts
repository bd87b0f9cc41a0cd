/**
 * EnrollmentStore on SqlDatabase. `consume` is one conditional UPDATE (unused, unexpired, bound to
 * this agent or to nobody), which both databases apply atomically: of any number of concurrent
 * callers, on any number of instances, exactly one changes the row and gets 'ok'. Only when it
 * changes nothing does a second read say why, in the order unknown, wrong-agent, used, expired
 * (so a credential bound to someone else tells a stranger nothing about its use). A credential
 * expires at `expiresAtMs` itself.
 */
import { AlreadyExistsError } from '@proof-messenger/errors';
import { isUniqueViolation, type SqlDatabase } from '@proof-messenger/storage';
import type { EnrollmentOutcome, EnrollmentStore } from '../ports/enrollment-store.ts';

interface CredentialRow {
  agent_id: string | null;
  expires_at_ms: number;
  used_at_ms: number | null;
}

/** See the module comment. */
export class SqlEnrollmentStore implements EnrollmentStore {
  readonly #db: SqlDatabase;

  constructor(db: SqlDatabase) {
    this.#db = db;
  }

  /** @throws AlreadyExistsError when the same credential hash was issued before */
  async issue(
    credentialHash: Uint8Array,
    agentId: string | null,
    expiresAtMs: number,
    issuedBy: string,
  ): Promise<void> {
    try {
      await this.#db.execute(
        `INSERT INTO enrollment_credentials (credential_hash, agent_id, expires_at_ms, issued_by)
          VALUES ($1, $2, $3, $4)`,
        [credentialHash, agentId, expiresAtMs, issuedBy],
      );
    } catch (err) {
      if (isUniqueViolation(err)) {
        throw new AlreadyExistsError('this enrollment credential was already issued', {
          cause: err,
        });
      }
      throw err;
    }
  }

  async consume(
    credentialHash: Uint8Array,
    agentId: string,
    nowMs: number,
  ): Promise<EnrollmentOutcome> {
    const used = await this.#db.execute(
      `UPDATE enrollment_credentials SET used_at_ms = $3, used_by = $2
        WHERE credential_hash = $1 AND used_at_ms IS NULL AND expires_at_ms > $3
          AND (agent_id IS NULL OR agent_id = $2)`,
      [credentialHash, agentId, nowMs],
    );
    if (used === 1) return 'ok';
    const [row] = await this.#db.query<CredentialRow>(
      'SELECT agent_id, expires_at_ms, used_at_ms FROM enrollment_credentials WHERE credential_hash = $1',
      [credentialHash],
    );
    if (row === undefined) return 'unknown';
    if (row.agent_id !== null && row.agent_id !== agentId) return 'wrong-agent';
    if (row.used_at_ms !== null) return 'used';
    return 'expired';
  }
}
