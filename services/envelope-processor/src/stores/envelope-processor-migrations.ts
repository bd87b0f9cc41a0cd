/**
 * The envelope processor's own schema (SQLite embedded, PostgreSQL distributed): the replay
 * guard's memory of message ids. Released migrations are frozen; changes are new entries.
 */
import type { Migration } from '@proof-messenger/storage';

function seenMessages(bytes: string): string {
  return `
CREATE TABLE seen_messages (
  sender_id TEXT NOT NULL,
  message_id TEXT NOT NULL,
  digest ${bytes} NOT NULL,
  partition_no INTEGER NOT NULL,
  accepted_at_ms BIGINT NOT NULL,
  forget_after_ms BIGINT NOT NULL,
  PRIMARY KEY (sender_id, message_id)
);
CREATE INDEX seen_messages_forget ON seen_messages (forget_after_ms);
`;
}

// 0002: whether the queue has stored the message, so a retry after the recipient acknowledged
// (and the queue deleted it) is answered without storing it again.
const ENQUEUED = 'ALTER TABLE seen_messages ADD COLUMN enqueued SMALLINT NOT NULL DEFAULT 0;';

export const envelopeProcessorMigrations: readonly Migration[] = [
  {
    id: 'envelope-processor/0001-seen-messages',
    sqlite: seenMessages('BLOB'),
    postgres: seenMessages('BYTEA'),
  },
  { id: 'envelope-processor/0002-seen-messages-enqueued', sqlite: ENQUEUED, postgres: ENQUEUED },
];
