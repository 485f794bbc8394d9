import { assertOptions, noopLogger, optionLogger, optionRule, throwIfAborted } from '@keel/core';
import type { Logger } from '@keel/core';
import { MigrationError } from '../errors.js';
import { sqlSchema } from '../client/identifiers.js';
import type { SqlSchema } from '../client/identifiers.js';
import type { SqlExecutor, SqlTransaction } from '../client/sqlClient.js';
import { toNumber } from '../internal/normalize.js';
import { KEEL_MIGRATIONS } from './migrationRegistry.js';
import type { Migration } from './migration.js';
import { KEEL_STORES, stepsOfStores, storesProblem } from './migrationRegistry.js';
import type { KeelStore } from './migrationRegistry.js';

/** Options of {@link migrate}. */
export interface MigrateOptions {
  /** The schema that holds every table. @default 'keel' */
  schema?: string | undefined;
  /** The steps to apply. @default KEEL_MIGRATIONS (every table of this package) */
  migrations?: readonly Migration[] | undefined;
  /**
   * The groups of tables to create or upgrade (see {@link KeelStore}), e.g.
   * `['eventStore', 'snapshots']`: Keel's steps of other groups are left out (your own steps,
   * 1000+, always run). Call again later with more groups to add their tables; steps already
   * applied never run again. An empty list or an unknown name is refused.
   * @default KEEL_STORES (every group)
   */
  stores?: readonly KeelStore[] | undefined;
  /** Checked before starting; an abort before commit rolls everything back. */
  signal?: AbortSignal | undefined;
  /**
   * Told what the call does: the steps it is about to apply, each step as it starts, and the
   * outcome (info), or that the schema was up to date (debug).
   * @default noopLogger
   */
  logger?: Logger | undefined;
}

/** The defaults of {@link MigrateOptions}. */
export const MIGRATE_DEFAULTS = Object.freeze({ schema: 'keel' });

/** One applied step, as reported by {@link migrate}. */
export interface AppliedMigration {
  readonly version: number;
  readonly name: string;
}

/** What {@link migrate} did. */
export interface MigrateResult {
  readonly schema: string;
  /** The groups of tables this call covered: `stores`, or every group. */
  readonly stores: readonly KeelStore[];
  /** The steps applied by this call, in order; empty when the schema was up to date. */
  readonly applied: readonly AppliedMigration[];
}

function checkMigrations(migrations: readonly Migration[]): Migration[] {
  const seen = new Set<number>();
  for (const step of migrations) {
    const fine = Number.isInteger(step.version) && step.version >= 1 && !seen.has(step.version);
    assertOptions('migrate', {
      migrations: optionRule(
        fine,
        `must be steps with unique integer versions >= 1 (got version ${String(step.version)}, "${step.name}").`,
      ),
    });
    seen.add(step.version);
  }
  return [...migrations].sort((a, b) => a.version - b.version);
}

async function prepare(tx: SqlTransaction, schema: SqlSchema): Promise<Set<number>> {
  // Serializes concurrent migrate() calls for this schema, even before the schema exists.
  await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`keel.migrate.${schema.name}`]);
  await tx.exec(
    `CREATE SCHEMA IF NOT EXISTS ${schema.quoted};
     CREATE TABLE IF NOT EXISTS ${schema.table('keel_migrations')} (
       version integer PRIMARY KEY,
       name text NOT NULL,
       applied_at timestamptz NOT NULL DEFAULT now()
     );`,
  );
  const { rows } = await tx.query<{ version: number }>(
    `SELECT version FROM ${schema.table('keel_migrations')}`,
  );
  return new Set(rows.map((row) => toNumber(row.version)));
}

async function applyStep(tx: SqlTransaction, schema: SqlSchema, step: Migration): Promise<void> {
  try {
    await tx.exec(step.sql(schema));
    await tx.query(`INSERT INTO ${schema.table('keel_migrations')} (version, name) VALUES ($1, $2)`, [
      step.version,
      step.name,
    ]);
  } catch (error) {
    throw new MigrationError(step.version, step.name, schema.name, { cause: error });
  }
}

/**
 * Creates or upgrades the tables of `@keel/postgres` in one schema: applies, in one
 * transaction, every step not yet recorded in `<schema>.keel_migrations`. Idempotent and
 * safe to call from several processes at once (an advisory lock serializes them). Stores
 * never create tables themselves: call this once at startup or from a deploy script.
 *
 * @param client The client (or a transaction) to run on.
 * @returns The schema and the steps this call applied.
 * @throws {MigrationError} when a step fails (nothing of this call is applied).
 * @throws {InvalidIdentifierError} when `schema` is not a plain lowercase identifier.
 * @throws {ValidationError} when two steps share a version, or a version is not an integer >= 1.
 * @throws {ValidationError} when `logger` is not a logger, or `stores` is empty or names an
 * unknown group.
 * @example
 * ```ts
 * const client = await createPostgres({ url: process.env.KEEL_PG_URL });
 * await migrate(client, { schema: 'keel' }); // every table
 * await migrate(client, { stores: ['eventStore', 'snapshots'] }); // only these tables
 * ```
 */
export async function migrate(client: SqlExecutor, options: MigrateOptions = {}): Promise<MigrateResult> {
  throwIfAborted(options.signal);
  assertOptions('migrate', {
    logger: optionLogger(options.logger, { uses: ['debug', 'info'] }),
    stores: storesProblem(options.stores),
  });
  const logger = options.logger ?? noopLogger;
  const schema = sqlSchema(options.schema ?? MIGRATE_DEFAULTS.schema);
  const stores = [...new Set(options.stores ?? KEEL_STORES)];
  const steps = stepsOfStores(checkMigrations(options.migrations ?? KEEL_MIGRATIONS), stores);
  const applied = await client.transaction(
    async (tx) => {
      const done = await prepare(tx, schema);
      const pending = steps.filter((step) => !done.has(step.version));
      reportPlan(logger, schema.name, pending.length, steps.length, stores);
      for (const [index, step] of pending.entries()) {
        logger.info(
          `Applying migration ${step.version} "${step.name}" (${index + 1} of ${pending.length}).`,
          {
            schema: schema.name,
            version: step.version,
          },
        );
        await applyStep(tx, schema, step);
      }
      return pending.map(({ version, name }) => ({ version, name }));
    },
    options.signal === undefined ? {} : { signal: options.signal },
  );
  if (applied.length > 0)
    logger.info(`Migrated schema "${schema.name}": applied ${applied.length} step(s).`, {
      schema: schema.name,
      applied: applied.map((step) => step.version),
    });
  return { schema: schema.name, stores, applied };
}

function reportPlan(
  logger: Logger,
  schema: string,
  pending: number,
  total: number,
  stores: readonly KeelStore[],
): void {
  if (pending === 0) {
    logger.debug(`Schema "${schema}" is up to date (${total} migration steps applied before).`, { schema });
    return;
  }
  logger.info(`Migrating schema "${schema}": ${pending} of ${total} steps to apply, in one transaction.`, {
    schema,
    pending,
    stores,
  });
}
