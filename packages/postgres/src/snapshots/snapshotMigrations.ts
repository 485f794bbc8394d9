import type { Migration } from '../migrations/migration.js';

/** Schema step of the `snapshots` table: the latest snapshot of each stream. */
export const SNAPSHOT_MIGRATIONS: readonly Migration[] = Object.freeze([
  {
    version: 110,
    name: 'snapshots',
    sql: (schema) => `
      CREATE TABLE ${schema.table('snapshots')} (
        stream_name text PRIMARY KEY,
        version bigint NOT NULL,
        schema_version integer NOT NULL,
        state jsonb,
        taken_at timestamptz NOT NULL
      );`,
  },
]);
