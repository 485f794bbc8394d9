import type { Migration } from '../migrations/migration.js';

/** Schema step of the outbox table. Times are epoch milliseconds (bigint). */
export const OUTBOX_MIGRATIONS: readonly Migration[] = Object.freeze([
  {
    version: 4,
    name: 'outbox',
    sql: (schema) => `
      CREATE TABLE ${schema.table('outbox')} (
        position bigserial PRIMARY KEY,
        message_id text NOT NULL UNIQUE,
        topic text NOT NULL,
        message_type text NOT NULL,
        message jsonb NOT NULL,
        enqueued_at bigint NOT NULL,
        available_at bigint NOT NULL,
        attempts integer NOT NULL DEFAULT 0,
        locked_by text,
        locked_until bigint,
        dispatched_at bigint,
        failed_at bigint,
        last_error text
      );
      CREATE INDEX outbox_pending_idx ON ${schema.table('outbox')} (topic, available_at, position)
        WHERE dispatched_at IS NULL AND failed_at IS NULL;`,
  },
]);

/** Schema step of the inbox table. Times are epoch milliseconds (bigint). */
export const INBOX_MIGRATIONS: readonly Migration[] = Object.freeze([
  {
    version: 5,
    name: 'inbox',
    sql: (schema) => `
      CREATE TABLE ${schema.table('inbox')} (
        consumer text NOT NULL,
        message_id text NOT NULL,
        message_type text,
        processed_at bigint NOT NULL,
        PRIMARY KEY (consumer, message_id)
      );
      CREATE INDEX inbox_processed_idx ON ${schema.table('inbox')} (processed_at);`,
  },
]);
