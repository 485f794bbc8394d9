import type { SignalOptions } from '../eventStore/eventStore.js';
import type { CheckpointStore } from './checkpointStore.js';

/** What the work of {@link TransactionalCheckpointStore.inTransaction} receives. */
export interface CheckpointTransactionScope<TTransaction = unknown> {
  /** The open transaction, handed to the projection's handlers as `context.transaction`. */
  readonly transaction: TTransaction;
  /** The checkpoint store bound to this transaction: its writes commit or roll back with it. */
  readonly checkpoints: CheckpointStore;
}

/**
 * A {@link CheckpointStore} that keeps its checkpoints in the read model's own database and can
 * open a transaction there. Given one as `checkpoints`, the `ProjectionRunner` handles each batch
 * in one of its transactions: the handlers write the read model with `context.transaction`, the
 * runner saves the batch's checkpoint with `scope.checkpoints`, and both commit together. A crash
 * at any point then either keeps the batch and its checkpoint or neither: exactly-once.
 *
 * `PostgresProjectionCheckpoints` of `@keel/postgres` implements it.
 */
export interface TransactionalCheckpointStore<TTransaction = unknown> extends CheckpointStore {
  /**
   * Runs `work` in one transaction: commits when it resolves, rolls back when it throws (and
   * rethrows), and rolls back when `signal` aborts before the commit.
   */
  inTransaction<T>(
    work: (scope: CheckpointTransactionScope<TTransaction>) => Promise<T>,
    options?: SignalOptions,
  ): Promise<T>;
}

/**
 * Whether a checkpoint store is a {@link TransactionalCheckpointStore} (has `inTransaction`).
 *
 * @example
 * ```ts
 * if (isTransactionalCheckpointStore(checkpoints)) await checkpoints.inTransaction(work);
 * ```
 */
export function isTransactionalCheckpointStore(
  store: CheckpointStore,
): store is TransactionalCheckpointStore {
  return typeof (store as Partial<TransactionalCheckpointStore>).inTransaction === 'function';
}
