import { throwIfAborted, withDefaults } from '@keel/core';
import { checkCheckpoint, checkProjectionName } from '@keel/eventsourcing';
import type { CheckpointStore, SignalOptions } from '@keel/eventsourcing';
import { sqlSchema } from '../../client/identifiers.js';
import type { SqlExecutor } from '../../client/sqlClient.js';
import { toNumber } from '../../internal/normalize.js';

/** Options of {@link PostgresCheckpointStore}. */
export interface PostgresCheckpointStoreOptions {
  /** The schema that holds the `checkpoints` table (created by `migrate()`). @default 'keel' */
  schema?: string;
}

/** The defaults of {@link PostgresCheckpointStoreOptions}. */
export const POSTGRES_CHECKPOINT_STORE_DEFAULTS = Object.freeze({ schema: 'keel' });

/**
 * A {@link CheckpointStore} on PostgreSQL or PGlite: the last global position each projection
 * handled, which never moves backwards (a save behind it is ignored; `delete` resets). Give it a transaction (`new PostgresCheckpointStore(tx)`) to save a checkpoint in
 * the same transaction as the read model, which makes a projection exactly-once.
 *
 * @throws {InvalidIdentifierError} at construction when `schema` is not a plain lowercase identifier.
 * @example
 * ```ts
 * const runner = new ProjectionRunner(store, balances, { checkpoints: new PostgresCheckpointStore(client) });
 * ```
 */
export class PostgresCheckpointStore implements CheckpointStore {
  readonly #client: SqlExecutor;
  readonly #table: string;

  /**
   * @param client A client or transaction.
   * @param options See {@link PostgresCheckpointStoreOptions}.
   */
  constructor(client: SqlExecutor, options: PostgresCheckpointStoreOptions = {}) {
    const settings = withDefaults(POSTGRES_CHECKPOINT_STORE_DEFAULTS, options);
    this.#client = client;
    this.#table = sqlSchema(settings.schema).table('checkpoints');
  }

  async load(name: string, options: SignalOptions = {}): Promise<number | undefined> {
    throwIfAborted(options.signal);
    checkProjectionName(name);
    const { rows } = await this.#client.query<{ position: unknown }>(
      `SELECT position FROM ${this.#table} WHERE name = $1`,
      [name],
    );
    return rows[0] === undefined ? undefined : toNumber(rows[0].position);
  }

  /**
   * Records that `name` handled everything up to `position`. A save behind the stored position
   * changes nothing (one atomic upsert, so concurrent savers never move it backwards).
   */
  async save(name: string, position: number, options: SignalOptions = {}): Promise<void> {
    throwIfAborted(options.signal);
    checkCheckpoint(name, position);
    await this.#client.query(
      `INSERT INTO ${this.#table} AS t (name, position) VALUES ($1, $2)
       ON CONFLICT (name) DO UPDATE SET position = EXCLUDED.position
       WHERE t.position < EXCLUDED.position`,
      [name, position],
    );
  }

  async delete(name: string, options: SignalOptions = {}): Promise<void> {
    throwIfAborted(options.signal);
    checkProjectionName(name);
    await this.#client.query(`DELETE FROM ${this.#table} WHERE name = $1`, [name]);
  }
}
