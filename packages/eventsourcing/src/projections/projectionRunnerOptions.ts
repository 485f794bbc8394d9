import type { Clock, Logger, Policy } from '@keel/core';
import type { CheckpointStore } from './checkpointStore.js';
import type { DeadLetterStore } from './deadLetterStore.js';

/** Where a {@link ProjectionRunner} is in its life. */
export type ProjectionStatus = 'idle' | 'running' | 'stopped' | 'failed';

/** Progress of a catch-up or rebuild. */
export interface ProjectionProgress {
  /** Events handled so far in this catch-up. */
  readonly processed: number;
  /** The global position reached. */
  readonly position: number;
  /** The store's head when the catch-up started: where it will stop. */
  readonly headPosition: number;
}

/** Options of {@link ProjectionRunner.catchUp} and {@link ProjectionRunner.rebuild}. */
export interface CatchUpRunOptions {
  /** Stops the run with the abort reason; the checkpoint keeps what was handled. */
  signal?: AbortSignal;
  /**
   * Called after each batch that crosses a multiple of `progressEvery` handled events, and
   * once at the end (unless the last call already reported the end).
   */
  onProgress?: (progress: ProjectionProgress) => void;
}

/** Options of {@link ProjectionRunner}. */
export interface ProjectionRunnerOptions {
  /**
   * Where the last handled position is kept; one save per batch. When it is a
   * `TransactionalCheckpointStore` (e.g. `PostgresProjectionCheckpoints`), each batch runs
   * in one of its transactions: handlers get it as `context.transaction`, and the read-model
   * writes and the checkpoint commit together (exactly-once).
   * @default a new InMemoryCheckpointStore
   */
  checkpoints?: CheckpointStore | undefined;
  /**
   * Wraps the handling of each batch (a batch handler call, or one transaction), and of each
   * event when a projection has no batch handler or a batch failed: retries, timeouts … (any
   * core `Policy`).
   * @default noopPolicy
   */
  policy?: Policy | undefined;
  /** Where events that still fail after the policy go. @default none (not recorded) */
  deadLetters?: DeadLetterStore | undefined;
  /**
   * What to do when an event still fails after the policy: `stop` the runner (status
   * `failed`, error `ProjectionFailedError`) or `skip` it and go on.
   * @default 'stop'
   */
  onFailure?: 'stop' | 'skip' | undefined;
  /**
   * The most events handled together and covered by one checkpoint save: a batch is whatever
   * the store delivered while the previous batch was being handled, up to this many. An
   * integer >= 1; 1 handles and checkpoints every event on its own.
   * @default 256
   */
  batchSize?: number | undefined;
  /** Events per page read (an integer >= 1). @default batchSize */
  pageSize?: number | undefined;
  /** How often (in events) `onProgress` is called (an integer >= 1). @default 100 */
  progressEvery?: number | undefined;
  /** The source of dead letters' `failedAt`, and what times batches for metrics. @default systemClock */
  clock?: Clock | undefined;
  /** Where failures are logged. @default noopLogger */
  logger?: Logger | undefined;
}

/** The defaults of {@link ProjectionRunnerOptions}. */
export const RUNNER_DEFAULTS = Object.freeze({
  onFailure: 'stop' as const,
  progressEvery: 100,
  batchSize: 256,
});
