export { createPostgres, CREATE_POSTGRES_DEFAULTS } from './client/createPostgres.js';
export type { CreatePostgresOptions } from './client/createPostgres.js';
export { fromPgPool, FROM_PG_POOL_DEFAULTS } from './client/pgPoolClient.js';
export type { PgNotificationLike } from './client/pgNotifications.js';
export type {
  FromPgPoolOptions,
  PgPoolLike,
  PgPoolClientLike,
  PgQueryResultLike,
  PgConnectionLike,
  PgClientConstructorLike,
  PgDedicatedClientLike,
} from './client/pgPoolClient.js';
export { fromPglite } from './client/pgliteClient.js';
export type {
  FromPgliteOptions,
  PgliteLike,
  PgliteTransactionLike,
  PgliteResultLike,
} from './client/pgliteClient.js';
export type {
  SqlClient,
  SqlExecutor,
  SqlTransaction,
  SqlResult,
  SqlRow,
  SqlQueryOptions,
  SqlTransactionOptions,
  SqlIsolationLevel,
  SqlDialect,
  SqlNotificationListener,
  SqlUnlisten,
  SqlListenOptions,
} from './client/sqlClient.js';
export { sqlSchema, quoteIdentifier, assertIdentifier } from './client/identifiers.js';
export type { SqlSchema } from './client/identifiers.js';
export {
  POSTGRES_ERROR_CODES,
  SQL_STATES,
  SqlError,
  InvalidIdentifierError,
  ClientClosedError,
  SerializationError,
  MigrationError,
  MissingDriverError,
  isSqlError,
  isInvalidIdentifierError,
  isClientClosedError,
  isSerializationError,
  isMigrationError,
  isMissingDriverError,
  DatabaseUnreachableError,
  isDatabaseUnreachableError,
  PositionOutOfRangeError,
  isPositionOutOfRangeError,
  POSITION_OUT_OF_RANGE_CODE,
  LeaseLostError,
  isLeaseLostError,
  LEASE_LOST_CODE,
  ReplicaLagError,
  isReplicaLagError,
  REPLICA_LAG_CODE,
} from './errors.js';
export type { ReplicaLagFacts } from './errors.js';
export type { DatabaseTarget } from './client/connectionFailure.js';

export { createPostgresWithReplica } from './client/replicas/createPostgresWithReplica.js';
export type {
  CreatePostgresWithReplicaOptions,
  PostgresWithReplica,
} from './client/replicas/createPostgresWithReplica.js';
export {
  primaryLsn,
  waitForReplay,
  waitForPosition,
  REPLICA_WAIT_DEFAULTS,
} from './client/replicas/replicaWait.js';
export type { Lsn, PrimaryLsnOptions, ReplicaWaitOptions } from './client/replicas/replicaWait.js';

export { migrate, MIGRATE_DEFAULTS } from './migrations/migrate.js';
export type { MigrateOptions, MigrateResult, AppliedMigration } from './migrations/migrate.js';
export type { Migration } from './migrations/migration.js';
export { KEEL_MIGRATIONS } from './migrations/migrationRegistry.js';
export { KEEL_STORES, KEEL_STORE_MIGRATIONS } from './migrations/migrationRegistry.js';
export type { KeelStore } from './migrations/migrationRegistry.js';

// The saga and idempotency stores have their own entry points, `@keel/postgres/saga` and
// `@keel/postgres/cqrs`: this one names nothing of @keel/saga or @keel/cqrs (optional peers), so
// a service without them loads it and compiles against its declarations.

export { PostgresOutbox, POSTGRES_OUTBOX_DEFAULTS } from './outbox/postgresOutbox.js';
export type { PostgresOutboxOptions, OutboxEnqueueOptions, OutboxStats } from './outbox/postgresOutbox.js';
export { OutboxRelay } from './outbox/outboxRelay.js';
export { OUTBOX_RELAY_DEFAULTS } from './outbox/outboxRelayOptions.js';
export type { OutboxRelayOptions, OutboxDispatchResult } from './outbox/outboxRelayOptions.js';
export { outboxBackoff } from './outbox/outboxBackoff.js';
export { PostgresInbox, POSTGRES_INBOX_DEFAULTS } from './outbox/postgresInbox.js';
export type {
  PostgresInboxOptions,
  InboxContext,
  InboxOutcome,
  InboxHandleOptions,
} from './outbox/postgresInbox.js';

// --- event sourcing
export { PostgresEventStore } from './eventsourcing/eventStore/postgresEventStore.js';
export { POSTGRES_EVENT_STORE_DEFAULTS } from './eventsourcing/eventStore/postgresEventStoreOptions.js';
export { repairEventGates } from './eventsourcing/eventStore/repairEventGates.js';
export type {
  RepairEventGatesOptions,
  RepairEventGatesResult,
} from './eventsourcing/eventStore/repairEventGates.js';
export type { PostgresEventStoreOptions } from './eventsourcing/eventStore/postgresEventStoreOptions.js';
export {
  PostgresSnapshotStore,
  POSTGRES_SNAPSHOT_STORE_DEFAULTS,
} from './eventsourcing/snapshots/postgresSnapshotStore.js';
export type { PostgresSnapshotStoreOptions } from './eventsourcing/snapshots/postgresSnapshotStore.js';
export {
  PostgresCheckpointStore,
  POSTGRES_CHECKPOINT_STORE_DEFAULTS,
} from './eventsourcing/projections/postgresCheckpointStore.js';
export type { PostgresCheckpointStoreOptions } from './eventsourcing/projections/postgresCheckpointStore.js';
export {
  PostgresDeadLetterStore,
  POSTGRES_DEAD_LETTER_STORE_DEFAULTS,
} from './eventsourcing/projections/postgresDeadLetterStore.js';
export type { PostgresDeadLetterStoreOptions } from './eventsourcing/projections/postgresDeadLetterStore.js';
export { defineInlineProjection } from './eventsourcing/projections/inlineProjection.js';
export type {
  DefineInlineProjectionOptions,
  InlineHandler,
  InlineHandlers,
} from './eventsourcing/projections/inlineProjection.js';
export { definePostgresProjection } from './eventsourcing/projections/postgresProjection.js';
export type {
  DefinePostgresProjectionOptions,
  PostgresProjectionContext,
  PostgresProjectionHandler,
  PostgresProjectionHandlers,
} from './eventsourcing/projections/postgresProjection.js';
export { PostgresProjectionCheckpoints } from './eventsourcing/projections/postgresProjectionCheckpoints.js';
export type { PostgresProjectionCheckpointsOptions } from './eventsourcing/projections/postgresProjectionCheckpoints.js';

// --- workers
export { PostgresLeases, POSTGRES_LEASES_DEFAULTS } from './leases/postgresLeases.js';
export type { Lease, LeaseHolder, PostgresLeasesOptions } from './leases/postgresLeases.js';
export { ProjectionDaemon } from './eventsourcing/daemon/projectionDaemon.js';
export type { DaemonProjectionState } from './eventsourcing/daemon/projectionDaemon.js';
export { PROJECTION_DAEMON_DEFAULTS } from './eventsourcing/daemon/projectionDaemonOptions.js';
export type {
  ProjectionDaemonOptions,
  ProjectionDaemonEntry,
} from './eventsourcing/daemon/projectionDaemonOptions.js';
export type { DaemonRunnerOptions } from './eventsourcing/daemon/projectionSlot.js';
export { OutboxRelayWorker } from './outbox/outboxRelayWorker.js';
export { OUTBOX_RELAY_WORKER_DEFAULTS } from './outbox/outboxRelayWorkerOptions.js';
export type { OutboxRelayWorkerOptions } from './outbox/outboxRelayWorkerOptions.js';
