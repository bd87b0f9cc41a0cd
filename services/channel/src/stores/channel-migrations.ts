/**
 * The channel service's schema (SQLite embedded, PostgreSQL distributed): channels, their
 * members with member keys, and accepted publications with their fanout progress. Released
 * migrations are frozen; changes are new entries.
 */
import type { Migration } from '@proof-messenger/storage';

function schema(bytes: string): string {
  return `
CREATE TABLE channels (
  channel_id TEXT PRIMARY KEY,
  owner_id TEXT NOT NULL,
  policy INTEGER NOT NULL,
  retention_seconds INTEGER NOT NULL,
  max_message_bytes INTEGER NOT NULL,
  max_subscribers INTEGER NOT NULL,
  allowlist TEXT NOT NULL,
  epoch BIGINT NOT NULL,
  created_at_ms BIGINT NOT NULL
);
CREATE TABLE channel_members (
  channel_id TEXT NOT NULL,
  agent_id TEXT NOT NULL,
  member_key ${bytes} NOT NULL,
  member_key_id TEXT NOT NULL,
  joined_epoch BIGINT NOT NULL,
  joined_at_ms BIGINT NOT NULL,
  PRIMARY KEY (channel_id, agent_id)
);
CREATE TABLE channel_publications (
  sender_id TEXT NOT NULL,
  message_id TEXT NOT NULL,
  channel_id TEXT NOT NULL,
  digest ${bytes} NOT NULL,
  epoch BIGINT NOT NULL,
  envelope ${bytes} NOT NULL,
  priority INTEGER NOT NULL,
  expires_at_ms BIGINT NOT NULL,
  accepted_at_ms BIGINT NOT NULL,
  subscriber_count INTEGER NOT NULL,
  key_ids TEXT NOT NULL,
  cursor TEXT NOT NULL,
  done SMALLINT NOT NULL,
  claimed_until_ms BIGINT NOT NULL,
  PRIMARY KEY (sender_id, message_id)
);
CREATE INDEX channel_publications_pending ON channel_publications (done, claimed_until_ms);
CREATE INDEX channel_publications_expiry ON channel_publications (expires_at_ms);
`;
}

export const channelMigrations: readonly Migration[] = [
  { id: 'channel/0001-channels', sqlite: schema('BLOB'), postgres: schema('BYTEA') },
];
