import type { Migration } from '../migrations/migration.js';

/** Schema steps of the idempotency table. Times are epoch milliseconds (bigint). */
export const IDEMPOTENCY_MIGRATIONS: readonly Migration[] = Object.freeze([
  {
    version: 3,
    name: 'idempotency',
    sql: (schema) => `
      CREATE TABLE ${schema.table('idempotency')} (
        key text PRIMARY KEY,
        status text NOT NULL,
        result jsonb,
        expires_at bigint NOT NULL
      );
      CREATE INDEX idempotency_expires_idx ON ${schema.table('idempotency')} (expires_at);`,
  },
  {
    // Claims carry the token of their holder, checked by renew, complete and release.
    version: 6,
    name: 'idempotency_owner_token',
    sql: (schema) => `ALTER TABLE ${schema.table('idempotency')} ADD COLUMN owner_token text;`,
  },
]);
