/**
 * Schema of the embedded queue (`SqliteMessageQueue`), applied with `migrate` from
 * `@proof-messenger/storage`.
 *
 * - `queue_messages`: one row per stored, not yet acknowledged message. `seq` gives FIFO order
 *   within a priority; `available_at_ms` is when it can be (re)delivered; while leased,
 *   `lease_token` is the current delivery id and `lease_expires_at_ms` the end of the lease.
 *   UNIQUE (sender_id, message_id) is the idempotency key.
 * - `queue_dead_letters`: messages that used up their deliveries, kept for inspection.
 * - `queue_events`: every event the queue reported (expired, dead-lettered), one row per message
 *   and type, written in the transaction that removes the message, so an event is reported once
 *   and there is a durable record of what the queue did on its own.
 *
 * The PostgreSQL DDL is kept equivalent so the schema can move, but the adapter runs on SQLite.
 */
import type { Migration } from '@proof-messenger/storage';

/** The queue's migrations, in order. */
export const QUEUE_MIGRATIONS: readonly Migration[] = [
  {
    id: '0001-queue',
    sqlite: `
CREATE TABLE queue_messages (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  partition INTEGER NOT NULL,
  recipient_id TEXT NOT NULL,
  priority INTEGER NOT NULL,
  sender_id TEXT NOT NULL,
  message_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  body BLOB NOT NULL,
  expires_at_ms INTEGER NOT NULL,
  enqueued_at_ms INTEGER NOT NULL,
  available_at_ms INTEGER NOT NULL,
  delivery_count INTEGER NOT NULL DEFAULT 0,
  lease_token TEXT,
  lease_expires_at_ms INTEGER,
  UNIQUE (sender_id, message_id)
);
CREATE INDEX queue_messages_by_recipient ON queue_messages (recipient_id, priority DESC, seq);
CREATE INDEX queue_messages_by_expiry ON queue_messages (expires_at_ms);
CREATE INDEX queue_messages_by_availability ON queue_messages (available_at_ms);
CREATE UNIQUE INDEX queue_messages_by_lease ON queue_messages (lease_token);
CREATE TABLE queue_dead_letters (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  recipient_id TEXT NOT NULL,
  priority INTEGER NOT NULL,
  sender_id TEXT NOT NULL,
  message_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  body BLOB NOT NULL,
  expires_at_ms INTEGER NOT NULL,
  enqueued_at_ms INTEGER NOT NULL,
  delivery_count INTEGER NOT NULL,
  dead_at_ms INTEGER NOT NULL
);
CREATE INDEX queue_dead_letters_by_recipient ON queue_dead_letters (recipient_id, seq);
CREATE TABLE queue_events (
  sender_id TEXT NOT NULL,
  message_id TEXT NOT NULL,
  type TEXT NOT NULL,
  recipient_id TEXT NOT NULL,
  at_ms INTEGER NOT NULL,
  delivery_count INTEGER NOT NULL,
  PRIMARY KEY (sender_id, message_id, type)
);`,
    postgres: `
CREATE TABLE queue_messages (
  seq BIGSERIAL PRIMARY KEY,
  partition INTEGER NOT NULL,
  recipient_id TEXT NOT NULL,
  priority SMALLINT NOT NULL,
  sender_id TEXT NOT NULL,
  message_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  body BYTEA NOT NULL,
  expires_at_ms BIGINT NOT NULL,
  enqueued_at_ms BIGINT NOT NULL,
  available_at_ms BIGINT NOT NULL,
  delivery_count INTEGER NOT NULL DEFAULT 0,
  lease_token TEXT,
  lease_expires_at_ms BIGINT,
  UNIQUE (sender_id, message_id)
);
CREATE INDEX queue_messages_by_recipient ON queue_messages (recipient_id, priority DESC, seq);
CREATE INDEX queue_messages_by_expiry ON queue_messages (expires_at_ms);
CREATE INDEX queue_messages_by_availability ON queue_messages (available_at_ms);
CREATE UNIQUE INDEX queue_messages_by_lease ON queue_messages (lease_token);
CREATE TABLE queue_dead_letters (
  seq BIGSERIAL PRIMARY KEY,
  recipient_id TEXT NOT NULL,
  priority SMALLINT NOT NULL,
  sender_id TEXT NOT NULL,
  message_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  body BYTEA NOT NULL,
  expires_at_ms BIGINT NOT NULL,
  enqueued_at_ms BIGINT NOT NULL,
  delivery_count INTEGER NOT NULL,
  dead_at_ms BIGINT NOT NULL
);
CREATE INDEX queue_dead_letters_by_recipient ON queue_dead_letters (recipient_id, seq);
CREATE TABLE queue_events (
  sender_id TEXT NOT NULL,
  message_id TEXT NOT NULL,
  type TEXT NOT NULL,
  recipient_id TEXT NOT NULL,
  at_ms BIGINT NOT NULL,
  delivery_count INTEGER NOT NULL,
  PRIMARY KEY (sender_id, message_id, type)
);`,
  },
];
