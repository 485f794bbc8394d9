import type { Migration } from '../../migrations/migration.js';

/**
 * Schema steps of the `snapshots` table: the latest snapshot of each stream. Step 111 keys the
 * table by a hash of the stream name instead of the name itself, so the key stays small whatever
 * the name's length and characters (a B-tree entry holds at most 2,704 bytes, and three-byte
 * UTF-8 characters fill it fast). The store compares the name itself too, so a hash collision
 * can only cost a snapshot (the loader then replays events), never mix up two streams.
 */
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
  {
    version: 111,
    name: 'snapshots keyed by a hash of the stream name',
    sql: (schema) => `
      ALTER TABLE ${schema.table('snapshots')} DROP CONSTRAINT snapshots_pkey;
      CREATE UNIQUE INDEX snapshots_stream_hash_key ON ${schema.table('snapshots')}
        ((hashtextextended(stream_name, 0)));`,
  },
]);
