export {
  EVENTSOURCING_ERROR_CODES,
  DuplicateEventError,
  UnknownSchemaVersionError,
  ProjectionFailedError,
  DeleteNotSupportedError,
  SnapshotsNotSupportedError,
  isDuplicateEventError,
  isUnknownSchemaVersionError,
  isProjectionFailedError,
  isDeleteNotSupportedError,
  isSnapshotsNotSupportedError,
} from './errors/errors.js';

export {
  NO_STREAM,
  STREAM_EXISTS,
  ANY,
  matchesExpectedVersion,
  isExpectedVersion,
} from './eventStore/expectedVersion.js';
export type { ExpectedVersion } from './eventStore/expectedVersion.js';
export { SCHEMA_VERSION_KEY, schemaVersionOf } from './eventStore/recordedEvent.js';
export type { EventMetadata, NewEvent, RecordedEvent, RecordedEventOf } from './eventStore/recordedEvent.js';
export type {
  EventStore,
  AppendOptions,
  AppendResult,
  ReadStreamOptions,
  ReadAllOptions,
  EventFilter,
  SubscribeOptions,
  SubscribeToAllOptions,
  SubscribeToStreamOptions,
  SignalOptions,
  InlineProjection,
  InlineProjectionContext,
} from './eventStore/eventStore.js';
export { InMemoryEventStore } from './eventStore/inMemoryEventStore.js';
export type { InMemoryEventStoreOptions, InMemoryTransaction } from './eventStore/inMemoryEventStore.js';
export { catchUpSubscription } from './eventStore/catchUpSubscription.js';
export type { CatchUpSource, CatchUpOptions, AppendWatch } from './eventStore/catchUpSubscription.js';
export { matchesFilter } from './eventStore/filter.js';
export { checkAppend } from './eventStore/checkAppend.js';
export { checkOptionsObject } from './eventStore/checkOptions.js';
export {
  checkReadStreamOptions,
  checkReadAllOptions,
  checkSubscribeToStreamOptions,
  checkSubscribeToAllOptions,
} from './eventStore/checkReads.js';
export {
  checkStreamName,
  MAX_STREAM_NAME_LENGTH,
  MAX_EVENT_TYPE_LENGTH,
  MAX_EVENT_ID_LENGTH,
} from './eventStore/names.js';
export { checkRecordedIds } from './eventStore/idempotency.js';
export type { RecordedIdentity } from './eventStore/idempotency.js';
export { collect } from './eventStore/collect.js';
export { flattenPages, pageThrough } from './eventStore/pages.js';
export type { PageThroughOptions } from './eventStore/pages.js';

export { createUpcaster } from './upcasting/upcaster.js';
export type { Upcaster, UpcastStep, UpcasterChains } from './upcasting/upcaster.js';
export { withUpcasting } from './upcasting/withUpcasting.js';

export { InMemorySnapshotStore, checkSnapshot } from './snapshots/snapshotStore.js';
export type { Snapshot, SnapshotStore } from './snapshots/snapshotStore.js';
export { everyNEvents, SNAPSHOT_DEFAULTS } from './snapshots/snapshotPolicy.js';
export type { SnapshotPolicy, SnapshotPolicyContext, SnapshotOptions } from './snapshots/snapshotPolicy.js';
export { aggregateStream } from './snapshots/aggregateStream.js';
export type { AggregateStreamOptions, AggregatedStream } from './snapshots/aggregateStream.js';

export { decidedEvents } from './decider/decider.js';
export type { Decider, DecidedEvent } from './decider/decider.js';
export { createCommandHandler, COMMAND_HANDLER_DEFAULTS } from './decider/commandHandler.js';
export { conflictRetry, CONFLICT_RETRY_DEFAULTS } from './decider/conflictRetry.js';
export type { ConflictRetryOptions } from './decider/conflictRetry.js';
export type {
  CommandHandler,
  CommandHandlerOptions,
  CommandResult,
  HandleOptions,
} from './decider/commandHandler.js';

export { EventSourcedRepository } from './aggregates/eventSourcedRepository.js';
export type {
  EventSourcedRepositoryOptions,
  RepositorySnapshotOptions,
  SnapshotsNeedASnapshotType,
} from './aggregates/eventSourcedRepositoryOptions.js';
export { UPDATE_DEFAULTS } from './aggregates/updateAggregate.js';
export type { UpdateOptions, UpdateContext, AggregateChange } from './aggregates/updateAggregate.js';

export { defineProjection } from './projections/projection.js';
export type {
  Projection,
  ProjectionContext,
  ProjectionHandlers,
  DefineProjectionOptions,
} from './projections/projection.js';
export {
  InMemoryCheckpointStore,
  checkCheckpoint,
  checkProjectionName,
  MAX_PROJECTION_NAME_LENGTH,
} from './projections/checkpointStore.js';
export type { CheckpointStore } from './projections/checkpointStore.js';
export {
  InMemoryDeadLetterStore,
  toDeadLetterError,
  checkDeadLetter,
  checkDeadLetterKey,
} from './projections/deadLetterStore.js';
export type { DeadLetter, DeadLetterError, DeadLetterStore } from './projections/deadLetterStore.js';
export { ProjectionRunner } from './projections/projectionRunner.js';
export { RUNNER_DEFAULTS } from './projections/projectionRunnerOptions.js';
export { isTransactionalCheckpointStore } from './projections/projectionRunnerTransaction.js';
export type {
  TransactionalCheckpointStore,
  CheckpointTransactionScope,
} from './projections/projectionRunnerTransaction.js';
export type {
  ProjectionRunnerOptions,
  ProjectionStatus,
  ProjectionProgress,
  CatchUpRunOptions,
} from './projections/projectionRunnerOptions.js';

export { EVENT_STORE_METRICS } from './internal/telemetry.js';
