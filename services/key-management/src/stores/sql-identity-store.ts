/**
 * IdentityStore on SqlDatabase: the embedded adapter on node:sqlite, the distributed one on
 * PostgreSQL.
 *
 * Concurrency: every write runs in one transaction that first locks the agent's `identities` row
 * (PostgreSQL `FOR NO KEY UPDATE`; SQLite transactions are serialized anyway), so writes to one
 * agent happen one after another and always take locks in the same order (identity, then keys),
 * which rules out deadlocks. Rotation then only succeeds if `UPDATE … WHERE state = 'current'`
 * changes the previous key, so of two rotations from the same key exactly one wins; the partial
 * unique index `identity_keys_one_current` backs this up.
 *
 * Revocation: revoking the current key marks the identity revoked (nothing could sign a rotation
 * any more) but leaves its superseded keys superseded, since messages they signed inside their
 * window stay verifiable; `revokeIdentity` revokes every key. Revoking twice keeps the first
 * revocation's time and reason.
 */
import {
  AlreadyExistsError,
  KeyExpiredError,
  KeyRevokedError,
  NotFoundError,
} from '@proof-messenger/errors';
import { isUniqueViolation, type SqlDatabase } from '@proof-messenger/storage';
import type {
  IdentityKeyRecord,
  IdentityRecord,
  IdentityStore,
  KeyState,
  NewIdentityKey,
} from '../ports/identity-store.ts';
import { lockRow } from './internal/sql-fragments.ts';

interface IdentityRow {
  agent_id: string;
  registered_at_ms: number;
  revoked_at_ms: number | null;
  revocation_reason: string;
}

/** An identity joined with its current key (key columns null when there is none). */
interface IdentityWithKeyRow extends IdentityRow {
  key_id: string | null;
  ml_dsa65: Uint8Array | null;
  ed25519: Uint8Array | null;
  not_before_ms: number | null;
}

interface KeyRow {
  agent_id: string;
  key_id: string;
  ml_dsa65: Uint8Array;
  ed25519: Uint8Array;
  state: KeyState;
  not_before_ms: number;
  not_after_ms: number | null;
  revoked_at_ms: number | null;
  revocation_reason: string;
}

const KEY_COLUMNS =
  'agent_id, key_id, ml_dsa65, ed25519, state, not_before_ms, not_after_ms, revoked_at_ms, revocation_reason';

const SELECT_IDENTITY = `SELECT i.agent_id, i.registered_at_ms, i.revoked_at_ms, i.revocation_reason,
    k.key_id, k.ml_dsa65, k.ed25519, k.not_before_ms
  FROM identities i
  LEFT JOIN identity_keys k ON k.agent_id = i.agent_id AND k.state = 'current'
  WHERE i.agent_id = $1`;

/** notAfter becomes min(existing, at); the first revocation's time and reason are kept. */
const REVOKE_KEY_SET = `state = 'revoked',
  not_after_ms = CASE WHEN not_after_ms IS NULL OR not_after_ms > $2 THEN $2 ELSE not_after_ms END,
  revoked_at_ms = COALESCE(revoked_at_ms, $2),
  revocation_reason = CASE WHEN state = 'revoked' THEN revocation_reason ELSE $3 END`;

function toKey(row: KeyRow): IdentityKeyRecord {
  return {
    agentId: row.agent_id,
    keyId: row.key_id,
    mlDsa65: row.ml_dsa65,
    ed25519: row.ed25519,
    state: row.state,
    notBeforeMs: row.not_before_ms,
    notAfterMs: row.not_after_ms,
    revokedAtMs: row.revoked_at_ms,
    revocationReason: row.revocation_reason,
  };
}

function toIdentity(row: IdentityWithKeyRow): IdentityRecord {
  const { key_id, ml_dsa65, ed25519, not_before_ms } = row;
  const currentKey =
    key_id === null || ml_dsa65 === null || ed25519 === null || not_before_ms === null
      ? null
      : toKey({
          agent_id: row.agent_id,
          key_id,
          ml_dsa65,
          ed25519,
          state: 'current',
          not_before_ms,
          not_after_ms: null,
          revoked_at_ms: null,
          revocation_reason: '',
        });
  return {
    agentId: row.agent_id,
    registeredAtMs: row.registered_at_ms,
    revoked: row.revoked_at_ms !== null,
    revokedAtMs: row.revoked_at_ms,
    revocationReason: row.revocation_reason,
    currentKey,
  };
}

async function readIdentity(db: SqlDatabase, agentId: string): Promise<IdentityRecord | undefined> {
  const [row] = await db.query<IdentityWithKeyRow>(SELECT_IDENTITY, [agentId]);
  return row === undefined ? undefined : toIdentity(row);
}

/** Locks the agent's identity row for this transaction; undefined when the agent is unknown. */
async function lockIdentity(tx: SqlDatabase, agentId: string): Promise<IdentityRow | undefined> {
  const [row] = await tx.query<IdentityRow>(
    `SELECT agent_id, registered_at_ms, revoked_at_ms, revocation_reason
      FROM identities WHERE agent_id = $1${lockRow(tx)}`,
    [agentId],
  );
  return row;
}

function unknownAgent(agentId: string): NotFoundError {
  return new NotFoundError(`agent ${agentId} is not registered`);
}

async function insertKey(
  tx: SqlDatabase,
  agentId: string,
  key: NewIdentityKey,
  atMs: number,
): Promise<void> {
  try {
    await tx.execute(
      `INSERT INTO identity_keys (key_id, agent_id, ml_dsa65, ed25519, state, not_before_ms)
        VALUES ($1, $2, $3, $4, 'current', $5)`,
      [key.keyId, agentId, key.mlDsa65, key.ed25519, atMs],
    );
  } catch (err) {
    if (isUniqueViolation(err)) {
      throw new AlreadyExistsError(`key id ${key.keyId} is already registered`, { cause: err });
    }
    throw err;
  }
}

/** See the module comment for the concurrency and revocation rules. */
export class SqlIdentityStore implements IdentityStore {
  readonly #db: SqlDatabase;

  constructor(db: SqlDatabase) {
    this.#db = db;
  }

  async register(agentId: string, key: NewIdentityKey, atMs: number): Promise<IdentityRecord> {
    return this.#db.transaction(async (tx) => {
      try {
        await tx.execute('INSERT INTO identities (agent_id, registered_at_ms) VALUES ($1, $2)', [
          agentId,
          atMs,
        ]);
      } catch (err) {
        if (isUniqueViolation(err)) {
          throw new AlreadyExistsError(`agent ${agentId} is already registered`, { cause: err });
        }
        throw err;
      }
      await insertKey(tx, agentId, key, atMs);
      return this.#reread(tx, agentId);
    });
  }

  get(agentId: string): Promise<IdentityRecord | undefined> {
    return readIdentity(this.#db, agentId);
  }

  async history(agentId: string): Promise<IdentityKeyRecord[]> {
    const rows = await this.#db.query<KeyRow>(
      `SELECT ${KEY_COLUMNS} FROM identity_keys WHERE agent_id = $1 ORDER BY seq`,
      [agentId],
    );
    return rows.map(toKey);
  }

  async keyIdTaken(keyId: string): Promise<boolean> {
    const rows = await this.#db.query('SELECT 1 AS taken FROM identity_keys WHERE key_id = $1', [
      keyId,
    ]);
    return rows.length > 0;
  }

  async findKey(agentId: string, keyId: string): Promise<IdentityKeyRecord | undefined> {
    const [row] = await this.#db.query<KeyRow>(
      `SELECT ${KEY_COLUMNS} FROM identity_keys WHERE agent_id = $1 AND key_id = $2`,
      [agentId, keyId],
    );
    return row === undefined ? undefined : toKey(row);
  }

  async rotate(
    agentId: string,
    previousKeyId: string,
    newKey: NewIdentityKey,
    atMs: number,
  ): Promise<IdentityRecord> {
    return this.#db.transaction(async (tx) => {
      const identity = await lockIdentity(tx, agentId);
      if (identity === undefined) throw unknownAgent(agentId);
      if (identity.revoked_at_ms !== null) {
        throw new KeyRevokedError(`agent ${agentId} is revoked; register a new identity`);
      }
      const superseded = await tx.execute(
        `UPDATE identity_keys SET state = 'superseded', not_after_ms = $3
          WHERE agent_id = $1 AND key_id = $2 AND state = 'current'`,
        [agentId, previousKeyId, atMs],
      );
      if (superseded === 0) {
        throw new KeyExpiredError(
          `key ${previousKeyId} is not the current key of agent ${agentId}; fetch the identity and rotate from its current key`,
        );
      }
      await insertKey(tx, agentId, newKey, atMs);
      return this.#reread(tx, agentId);
    });
  }

  async revokeKey(agentId: string, keyId: string, reason: string, atMs: number): Promise<void> {
    await this.#db.transaction(async (tx) => {
      if ((await lockIdentity(tx, agentId)) === undefined) throw unknownAgent(agentId);
      const [key] = await tx.query<{ state: KeyState }>(
        'SELECT state FROM identity_keys WHERE agent_id = $1 AND key_id = $2',
        [agentId, keyId],
      );
      if (key === undefined)
        throw new NotFoundError(`key ${keyId} is not a key of agent ${agentId}`);
      await tx.execute(
        `UPDATE identity_keys SET ${REVOKE_KEY_SET} WHERE agent_id = $1 AND key_id = $4`,
        [agentId, atMs, reason, keyId],
      );
      if (key.state === 'current') await revokeIdentityRow(tx, agentId, reason, atMs);
    });
  }

  async revokeIdentity(agentId: string, reason: string, atMs: number): Promise<void> {
    await this.#db.transaction(async (tx) => {
      if ((await lockIdentity(tx, agentId)) === undefined) throw unknownAgent(agentId);
      await revokeIdentityRow(tx, agentId, reason, atMs);
      await tx.execute(
        `UPDATE identity_keys SET ${REVOKE_KEY_SET} WHERE agent_id = $1 AND state <> 'revoked'`,
        [agentId, atMs, reason],
      );
    });
  }

  async #reread(tx: SqlDatabase, agentId: string): Promise<IdentityRecord> {
    const identity = await readIdentity(tx, agentId);
    // Unreachable: the caller wrote the row in this same transaction.
    if (identity === undefined) throw unknownAgent(agentId);
    return identity;
  }
}

async function revokeIdentityRow(
  tx: SqlDatabase,
  agentId: string,
  reason: string,
  atMs: number,
): Promise<void> {
  await tx.execute(
    `UPDATE identities SET
        revocation_reason = CASE WHEN revoked_at_ms IS NULL THEN $3 ELSE revocation_reason END,
        revoked_at_ms = COALESCE(revoked_at_ms, $2)
      WHERE agent_id = $1`,
    [agentId, atMs, reason],
  );
}
