import type { Migration } from '../migrations/migration.js';

/**
 * Schema step of the `worker_leases` table: one row per owned name (a projection, an outbox
 * topic), with the owner, a fencing token that grows on every change of owner, and the expiry
 * in epoch milliseconds. Written with `IF NOT EXISTS`, so re-running it is harmless.
 */
export const WORKER_MIGRATIONS: readonly Migration[] = Object.freeze([
  {
    version: 7,
    name: 'worker leases',
    sql: (schema) => `
      CREATE TABLE IF NOT EXISTS ${schema.table('worker_leases')} (
        name text PRIMARY KEY,
        owner text,
        token bigint NOT NULL,
        expires_at bigint NOT NULL
      );`,
  },
]);
