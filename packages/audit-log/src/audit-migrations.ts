/**
 * The schema of SqlAuditStore, for node:sqlite and PostgreSQL. Every table is prefixed
 * `audit_log_` because one database (one schema) may hold every service's tables, and
 * key-management already owns a table named `audit_events`.
 *
 * - `audit_log_head`: exactly one row (id 1) with the log's size and the hash of its last entry.
 *   Appends lock it (FOR UPDATE on PostgreSQL; SQLite's BEGIN IMMEDIATE locks the whole file), so
 *   it is the single sequencer every instance goes through.
 * - `audit_log_entries`: one row per entry, keyed by sequence, with its leaf hash. The secondary
 *   indexes end in `sequence` so "newest first, matching X" is a backward index range scan.
 *   On PostgreSQL `action` uses the "C" collation so the prefix filter (`message.` →
 *   `action >= 'message.' AND action < 'message/'`) is a byte-order index range.
 * - `audit_log_nodes`: the hash of every complete perfect subtree of level ≥ 1 (level 0 is the
 *   leaf hash in `audit_log_entries`), about one row per entry.
 * - `audit_log_checkpoints`: signed checkpoints, unique per tree size.
 * - `audit_log_actions` (audit-0002): every action name the log holds, a few dozen rows, so an
 *   action prefix expands to exact names and each name is its own ordered index scan.
 * - `audit_log_head.last_time_ms` (audit-0003): the time of the last entry. The sequencer gives
 *   each entry a time no earlier than it, so times never decrease along the log and a time window
 *   is a sequence range (found through `audit_log_entries_by_time`). A log written before this
 *   migration may hold decreasing times: the migration starts from the largest time stored, and
 *   verifyAuditLog reports such entries ('time-order').
 */
import type { Migration } from '@proof-messenger/storage';

const ZERO_HASH_HEX = '00'.repeat(32);

const INDEXES = `
CREATE INDEX audit_log_entries_by_actor ON audit_log_entries (actor, sequence);
CREATE INDEX audit_log_entries_by_target ON audit_log_entries (target, sequence);
CREATE INDEX audit_log_entries_by_action ON audit_log_entries (action, sequence);
CREATE INDEX audit_log_entries_by_outcome ON audit_log_entries (outcome, sequence);
CREATE INDEX audit_log_entries_by_time ON audit_log_entries (time_ms, sequence);`;

/** The audit log's migrations (ids prefixed `audit-`), for `migrate` of @proof-messenger/storage. */
export const auditMigrations: readonly Migration[] = [
  {
    id: 'audit-0001-log',
    sqlite: `
CREATE TABLE audit_log_head (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  size INTEGER NOT NULL,
  last_hash BLOB NOT NULL
);
INSERT INTO audit_log_head (id, size, last_hash) VALUES (1, 0, X'${ZERO_HASH_HEX}');
CREATE TABLE audit_log_entries (
  sequence INTEGER PRIMARY KEY,
  time_ms INTEGER NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT NOT NULL,
  outcome TEXT NOT NULL,
  reason TEXT NOT NULL,
  details TEXT NOT NULL,
  message_ids TEXT NOT NULL,
  message_hashes TEXT NOT NULL,
  previous_hash BLOB NOT NULL,
  leaf_hash BLOB NOT NULL
);
${INDEXES}
CREATE TABLE audit_log_nodes (
  level INTEGER NOT NULL,
  idx INTEGER NOT NULL,
  hash BLOB NOT NULL,
  PRIMARY KEY (level, idx)
) WITHOUT ROWID;
CREATE TABLE audit_log_checkpoints (
  tree_size INTEGER PRIMARY KEY,
  root_hash BLOB NOT NULL,
  time_ms INTEGER NOT NULL,
  key_id TEXT NOT NULL,
  ml_dsa65_signature BLOB NOT NULL,
  ed25519_signature BLOB NOT NULL
);`,
    postgres: `
CREATE TABLE audit_log_head (
  id SMALLINT PRIMARY KEY CHECK (id = 1),
  size BIGINT NOT NULL,
  last_hash BYTEA NOT NULL
);
INSERT INTO audit_log_head (id, size, last_hash) VALUES (1, 0, '\\x${ZERO_HASH_HEX}'::bytea);
CREATE TABLE audit_log_entries (
  sequence BIGINT PRIMARY KEY,
  time_ms BIGINT NOT NULL,
  actor TEXT NOT NULL,
  action TEXT COLLATE "C" NOT NULL,
  target TEXT NOT NULL,
  outcome TEXT NOT NULL,
  reason TEXT NOT NULL,
  details TEXT NOT NULL,
  message_ids TEXT NOT NULL,
  message_hashes TEXT NOT NULL,
  previous_hash BYTEA NOT NULL,
  leaf_hash BYTEA NOT NULL
);
${INDEXES}
CREATE TABLE audit_log_nodes (
  level SMALLINT NOT NULL,
  idx BIGINT NOT NULL,
  hash BYTEA NOT NULL,
  PRIMARY KEY (level, idx)
);
CREATE TABLE audit_log_checkpoints (
  tree_size BIGINT PRIMARY KEY,
  root_hash BYTEA NOT NULL,
  time_ms BIGINT NOT NULL,
  key_id TEXT NOT NULL,
  ml_dsa65_signature BYTEA NOT NULL,
  ed25519_signature BYTEA NOT NULL
);`,
  },
  {
    id: 'audit-0002-actions',
    sqlite: `
CREATE TABLE audit_log_actions (action TEXT PRIMARY KEY) WITHOUT ROWID;
INSERT INTO audit_log_actions (action) SELECT DISTINCT action FROM audit_log_entries;`,
    postgres: `
CREATE TABLE audit_log_actions (action TEXT COLLATE "C" PRIMARY KEY);
INSERT INTO audit_log_actions (action) SELECT DISTINCT action FROM audit_log_entries;`,
  },
  {
    id: 'audit-0003-monotonic-time',
    sqlite: `
ALTER TABLE audit_log_head ADD COLUMN last_time_ms INTEGER NOT NULL DEFAULT 0;
UPDATE audit_log_head SET last_time_ms = COALESCE((SELECT max(time_ms) FROM audit_log_entries), 0);`,
    postgres: `
ALTER TABLE audit_log_head ADD COLUMN last_time_ms BIGINT NOT NULL DEFAULT 0;
UPDATE audit_log_head SET last_time_ms = COALESCE((SELECT max(time_ms) FROM audit_log_entries), 0);`,
  },
];
