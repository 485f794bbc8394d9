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
  /** Called every `progressEvery` events and once at the end. */
  onProgress?: (progress: ProjectionProgress) => void;
}

/** Options of {@link ProjectionRunner}. */
export interface ProjectionRunnerOptions {
  /** Where the last handled position is kept. @default a new InMemoryCheckpointStore */
  checkpoints?: CheckpointStore;
  /** Wraps every handler call: retries, timeouts … (any core `Policy`). @default noopPolicy */
  policy?: Policy;
  /** Where events that still fail after the policy go. @default none (not recorded) */
  deadLetters?: DeadLetterStore;
  /**
   * What to do when an event still fails after the policy: `stop` the runner (status
   * `failed`, error `ProjectionFailedError`) or `skip` it and go on.
   * @default 'stop'
   */
  onFailure?: 'stop' | 'skip';
  /** Events per page read. @default the store's page size */
  pageSize?: number;
  /** How often (in events) `onProgress` is called. @default 100 */
  progressEvery?: number;
  /** The source of dead letters' `failedAt`. @default systemClock */
  clock?: Clock;
  /** Where failures are logged. @default noopLogger */
  logger?: Logger;
}

/** The defaults of {@link ProjectionRunnerOptions}. */
export const RUNNER_DEFAULTS = Object.freeze({ onFailure: 'stop' as const, progressEvery: 100 });
