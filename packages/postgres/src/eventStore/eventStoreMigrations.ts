import type { Migration } from '../migrations/migration.js';

/**
 * Schema step of the `events` table. `global_position` comes from an identity column, but
 * appends take a transaction-level advisory lock before drawing it, so positions become
 * visible in order (see `PostgresEventStore`).
 */
export const EVENT_STORE_MIGRATIONS: readonly Migration[] = Object.freeze([
  {
    version: 100,
    name: 'events',
    sql: (schema) => `
      CREATE TABLE ${schema.table('events')} (
        global_position bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        stream_name text NOT NULL,
        stream_version bigint NOT NULL,
        event_id text NOT NULL,
        event_type text NOT NULL,
        data jsonb,
        metadata jsonb NOT NULL,
        recorded_at timestamptz NOT NULL,
        CONSTRAINT events_stream_version_key UNIQUE (stream_name, stream_version),
        CONSTRAINT events_event_id_key UNIQUE (event_id)
      );
      CREATE INDEX events_type_position_idx ON ${schema.table('events')} (event_type, global_position);`,
  },
]);
