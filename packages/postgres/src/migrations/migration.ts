import type { SqlSchema } from '../client/identifiers.js';

/**
 * One step of the database schema. `migrate()` applies each step whose version is not yet
 * recorded in the schema's `keel_migrations` table, in ascending version order, all in one
 * transaction.
 *
 * Versions 1–99 are Keel's foundation (sagas, processes, idempotency, outbox, inbox),
 * 100–999 Keel's event sourcing; use 1000 and up for your own steps.
 *
 * @example
 * ```ts
 * const ordersView: Migration = {
 *   version: 1000,
 *   name: 'orders_view',
 *   sql: (schema) => `CREATE TABLE ${schema.table('orders_view')} (id text PRIMARY KEY, total int NOT NULL);`,
 * };
 * await migrate(client, { migrations: [...KEEL_MIGRATIONS, ordersView] });
 * ```
 */
export interface Migration {
  /** A unique positive integer; steps run in ascending order, and never twice. */
  readonly version: number;
  /** A short name, stored with the version for operators. */
  readonly name: string;
  /**
   * The SQL script (any number of statements, no parameters) for `schema`. Qualify every
   * table with `schema.table('name')`; the script runs inside the migrate transaction.
   */
  readonly sql: (schema: SqlSchema) => string;
}
