/**
 * The key-management schema, for SQLite (embedded) and PostgreSQL (distributed). One migration per
 * released change; a released migration is frozen (its text is what `schema_migrations` vouches
 * for), so a change is always a new entry at the end.
 *
 * The constraints are what make the ports' atomicity promises hold even if a store had a bug:
 * key ids are globally unique, an agent has at most one `current` key and a session at most one
 * current key (partial unique indexes), a one-time prekey id appears once per agent. Every lookup
 * the stores make has an index. The same text serves both dialects except for byte and
 * auto-increment column types.
 */
import type { Migration } from '@proof-messenger/storage';

interface DialectTypes {
  /** Byte strings. */
  readonly bytes: string;
  /** An increasing surrogate key that orders rows by insertion. */
  readonly serial: string;
}

const SQLITE: DialectTypes = { bytes: 'BLOB', serial: 'INTEGER PRIMARY KEY' };
const POSTGRES: DialectTypes = {
  bytes: 'BYTEA',
  serial: 'BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY',
};

/** 0001: identities, enrollment, prekeys, sessions, audit, nonces. Frozen. */
function initialSchema({ bytes, serial }: DialectTypes): string {
  return `
CREATE TABLE identities (
  agent_id TEXT PRIMARY KEY,
  registered_at_ms BIGINT NOT NULL,
  revoked_at_ms BIGINT,
  revocation_reason TEXT NOT NULL DEFAULT ''
);

CREATE TABLE identity_keys (
  seq ${serial},
  key_id TEXT NOT NULL UNIQUE,
  agent_id TEXT NOT NULL REFERENCES identities (agent_id),
  ml_dsa65 ${bytes} NOT NULL,
  ed25519 ${bytes} NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('current', 'superseded', 'revoked')),
  not_before_ms BIGINT NOT NULL,
  not_after_ms BIGINT,
  revoked_at_ms BIGINT,
  revocation_reason TEXT NOT NULL DEFAULT ''
);
CREATE INDEX identity_keys_by_agent ON identity_keys (agent_id, seq);
CREATE UNIQUE INDEX identity_keys_one_current ON identity_keys (agent_id) WHERE state = 'current';

CREATE TABLE enrollment_credentials (
  credential_hash ${bytes} PRIMARY KEY,
  agent_id TEXT,
  expires_at_ms BIGINT NOT NULL,
  issued_by TEXT NOT NULL,
  used_at_ms BIGINT,
  used_by TEXT
);

CREATE TABLE signed_prekeys (
  agent_id TEXT PRIMARY KEY,
  key_id TEXT NOT NULL,
  statement ${bytes} NOT NULL,
  updated_at_ms BIGINT NOT NULL
);

CREATE TABLE one_time_prekeys (
  id ${serial},
  agent_id TEXT NOT NULL,
  key_id TEXT NOT NULL,
  statement ${bytes} NOT NULL,
  UNIQUE (agent_id, key_id)
);
CREATE INDEX one_time_prekeys_take ON one_time_prekeys (agent_id, id);

CREATE TABLE sessions (
  owner_id TEXT NOT NULL,
  peer_id TEXT NOT NULL,
  schedule SMALLINT NOT NULL,
  next_rotation_at_ms BIGINT,
  PRIMARY KEY (owner_id, peer_id)
);
CREATE INDEX sessions_due ON sessions (next_rotation_at_ms) WHERE next_rotation_at_ms IS NOT NULL;

CREATE TABLE session_keys (
  seq ${serial},
  owner_id TEXT NOT NULL,
  peer_id TEXT NOT NULL,
  key_id TEXT NOT NULL,
  statement ${bytes} NOT NULL,
  schedule SMALLINT NOT NULL,
  created_at_ms BIGINT NOT NULL,
  grace_ends_at_ms BIGINT,
  UNIQUE (owner_id, peer_id, key_id)
);
CREATE UNIQUE INDEX session_keys_one_current ON session_keys (owner_id, peer_id)
  WHERE grace_ends_at_ms IS NULL;
CREATE INDEX session_keys_grace ON session_keys (grace_ends_at_ms)
  WHERE grace_ends_at_ms IS NOT NULL;

CREATE TABLE rotation_notices (
  seq ${serial},
  notice_id TEXT NOT NULL UNIQUE,
  owner_id TEXT NOT NULL,
  peer_id TEXT NOT NULL,
  key_id TEXT NOT NULL,
  due_at_ms BIGINT NOT NULL,
  created_at_ms BIGINT NOT NULL
);
CREATE INDEX rotation_notices_by_owner ON rotation_notices (owner_id, created_at_ms, seq);
CREATE INDEX rotation_notices_by_session ON rotation_notices (owner_id, peer_id);

CREATE TABLE audit_events (
  seq ${serial},
  at_ms BIGINT NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT NOT NULL,
  outcome TEXT NOT NULL CHECK (outcome IN ('success', 'denied', 'failed')),
  reason TEXT NOT NULL,
  details TEXT NOT NULL
);
CREATE INDEX audit_events_by_target ON audit_events (target, seq);

CREATE TABLE nonces (
  nonce TEXT PRIMARY KEY,
  expires_at_ms BIGINT NOT NULL
);
CREATE INDEX nonces_expiry ON nonces (expires_at_ms);
`;
}

/**
 * 0002: drops the old audit table. Key changes are now recorded in the verifiable audit log of
 * @proof-messenger/audit-log (hash-chained, Merkle-checkpointed, shared by every service), which
 * replaced `audit_events`. Rows written before this migration are not carried over: the old table
 * had no integrity protection, so copying them would lend them a trust they never had. Export them
 * before upgrading if they are needed. Frozen.
 */
const DROP_AUDIT_EVENTS = `
DROP INDEX IF EXISTS audit_events_by_target;
DROP TABLE IF EXISTS audit_events;
`;

/** Every key-management migration, in order; pass to `migrate` from `@proof-messenger/storage`. */
export const keyManagementMigrations: readonly Migration[] = [
  {
    id: 'key-management/0001-initial',
    sqlite: initialSchema(SQLITE),
    postgres: initialSchema(POSTGRES),
  },
  {
    id: 'key-management/0002-drop-audit-events',
    sqlite: DROP_AUDIT_EVENTS,
    postgres: DROP_AUDIT_EVENTS,
  },
];
