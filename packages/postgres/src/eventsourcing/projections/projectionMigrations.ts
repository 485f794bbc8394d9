import type { Migration } from '../../migrations/migration.js';

/** Schema steps of the projection `checkpoints` and `dead_letters` tables. */
export const PROJECTION_MIGRATIONS: readonly Migration[] = Object.freeze([
  {
    version: 120,
    name: 'projection checkpoints and dead letters',
    sql: (schema) => `
      CREATE TABLE ${schema.table('checkpoints')} (
        name text PRIMARY KEY,
        position bigint NOT NULL
      );
      CREATE TABLE ${schema.table('dead_letters')} (
        projection text NOT NULL,
        position bigint NOT NULL,
        event jsonb NOT NULL,
        error jsonb NOT NULL,
        failed_at timestamptz NOT NULL,
        PRIMARY KEY (projection, position)
      );`,
  },
]);
