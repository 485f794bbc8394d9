import type { Clock, EventPublisher, Logger, Policy } from '@keel/core';
import type { AnyAggregateRoot, EventOf, SnapshotStateOf } from '@keel/ddd';
import type { SnapshotOptions } from '../snapshots/snapshotPolicy.js';

/**
 * What the `snapshots` option of an aggregate without a snapshot type must match: nothing
 * does, so giving snapshots to such an aggregate is a compile error naming the fix.
 */
export interface SnapshotsNeedASnapshotType {
  readonly 'snapshots need an aggregate with a snapshot type: extend AggregateRoot<TId, TEvents, TSnapshot> and override snapshotState() and restoreSnapshotState()': never;
}

/**
 * The `snapshots` option of an `EventSourcedRepository`: {@link SnapshotOptions} for an
 * aggregate that declares a snapshot state, {@link SnapshotsNeedASnapshotType} otherwise.
 */
export type RepositorySnapshotOptions<TAggregate extends AnyAggregateRoot> = [
  SnapshotStateOf<TAggregate>,
] extends [never]
  ? SnapshotsNeedASnapshotType
  : SnapshotOptions<TAggregate>;

/** Options of `EventSourcedRepository`. */
export interface EventSourcedRepositoryOptions<TAggregate extends AnyAggregateRoot, TId> {
  /**
   * The stream of an aggregate.
   * @default `${aggregateType}-${id}`, e.g. `Account-42`
   */
  streamName?: ((id: TId, aggregateType: string) => string) | undefined;
  /**
   * Snapshot settings. The aggregate must declare a snapshot type and override
   * `snapshotState()` and `restoreSnapshotState()`: otherwise this option does not compile, and
   * at run time the constructor throws a `SnapshotsNotSupportedError` (checked on an aggregate
   * built with a probe id; if the factory refuses that id, the first load or save does). A failed
   * snapshot save is reported to `snapshots.onError`, or else logged as a warning.
   * @default no snapshots
   */
  snapshots?: RepositorySnapshotOptions<TAggregate> | undefined;
  /** Receives the events of every successful save. @default none */
  publisher?: EventPublisher<EventOf<TAggregate>> | undefined;
  /**
   * Told about what the repository works around: a snapshot it ignored and rebuilt (info), a
   * snapshot it could not save (warn, when `snapshots.onError` is not set), a conflict that
   * `EventSourcedRepository.update` retries (debug).
   * @default noopLogger
   */
  logger?: Logger | undefined;
  /** The default of `UpdateOptions.maxConflictRetries` for `update`. @default 3 */
  maxConflictRetries?: number | undefined;
  /** The default of `UpdateOptions.policy` for `update`. @default none */
  policy?: Policy | undefined;
  /**
   * Waits the backoff between `update`'s attempts after a conflict (as `conflictRetry()`'s: 10,
   * 20, 40 … ms, each spread over its upper half, capped at 1 s).
   * @default systemClock
   */
  clock?: Clock | undefined;
}
