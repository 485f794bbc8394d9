import { assertOptions, optionOneOf, throwIfAborted } from '@keel/core';
import type {
  CheckpointStore,
  CheckpointTransactionScope,
  SignalOptions,
  TransactionalCheckpointStore,
} from '@keel/eventsourcing';
import type { SqlExecutor, SqlIsolationLevel, SqlTransaction } from '../../client/sqlClient.js';
import { PostgresCheckpointStore } from './postgresCheckpointStore.js';
import type { PostgresCheckpointStoreOptions } from './postgresCheckpointStore.js';

/** Options of {@link PostgresProjectionCheckpoints}. */
export interface PostgresProjectionCheckpointsOptions extends PostgresCheckpointStoreOptions {
  /** The isolation level of each batch's transaction. @default 'read committed' */
  isolation?: SqlIsolationLevel | undefined;
}

/**
 * The checkpoint store that makes a `ProjectionRunner` exactly-once on PostgreSQL or PGlite: a
 * `TransactionalCheckpointStore` over the `checkpoints` table of `migrate()`. The runner opens
 * one transaction per batch on `client`, runs the projection's handlers with it (a
 * {@link definePostgresProjection} handler gets it as `tx`), and saves the batch's checkpoint
 * with `new PostgresCheckpointStore(tx)` in that same transaction: the read model and the
 * checkpoint commit together, so a crash at any point neither loses nor re-applies an event.
 *
 * Write the read model only through `tx` (on PGlite any other client call waits for the
 * transaction). Run one runner per projection name at a time.
 *
 * @throws {InvalidIdentifierError} at construction when `schema` is not a plain lowercase identifier.
 * @throws {ValidationError} at construction when `isolation` is not an isolation level.
 * @example
 * ```ts
 * const runner = new ProjectionRunner(store, balances, {
 *   checkpoints: new PostgresProjectionCheckpoints(client),
 * });
 * ```
 */
export class PostgresProjectionCheckpoints implements TransactionalCheckpointStore<SqlTransaction> {
  readonly #client: SqlExecutor;
  readonly #outside: PostgresCheckpointStore;
  readonly #schemaOptions: PostgresCheckpointStoreOptions;
  readonly #isolation: SqlIsolationLevel | undefined;

  /**
   * @param client The client the batch transactions are opened on (inside a transaction, each
   *   batch becomes a savepoint).
   * @param options See {@link PostgresProjectionCheckpointsOptions}.
   */
  constructor(client: SqlExecutor, options: PostgresProjectionCheckpointsOptions = {}) {
    assertOptions('PostgresProjectionCheckpoints', {
      isolation: optionOneOf(options.isolation, ['read committed', 'repeatable read', 'serializable']),
    });
    this.#client = client;
    this.#schemaOptions = options.schema === undefined ? {} : { schema: options.schema };
    this.#outside = new PostgresCheckpointStore(client, this.#schemaOptions);
    this.#isolation = options.isolation;
  }

  load(name: string, options?: SignalOptions): Promise<number | undefined> {
    return this.#outside.load(name, options);
  }

  save(name: string, position: number, options?: SignalOptions): Promise<void> {
    return this.#outside.save(name, position, options);
  }

  delete(name: string, options?: SignalOptions): Promise<void> {
    return this.#outside.delete(name, options);
  }

  /**
   * Runs `work` in one transaction on the client, with a checkpoint store bound to it. Commits
   * when `work` resolves, rolls back when it throws or when `signal` aborts before the commit.
   */
  async inTransaction<T>(
    work: (scope: CheckpointTransactionScope<SqlTransaction>) => Promise<T>,
    options: SignalOptions = {},
  ): Promise<T> {
    throwIfAborted(options.signal);
    return this.#client.transaction(
      (tx) => {
        const checkpoints: CheckpointStore = new PostgresCheckpointStore(tx, this.#schemaOptions);
        return work({ transaction: tx, checkpoints });
      },
      {
        ...(options.signal === undefined ? {} : { signal: options.signal }),
        ...(this.#isolation === undefined ? {} : { isolation: this.#isolation }),
      },
    );
  }
}
