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
} from './client/errors.js';
export { DatabaseUnreachableError, isDatabaseUnreachableError } from './client/connectionError.js';
export type { DatabaseTarget } from './client/connectionError.js';

export { createPostgresWithReplica } from './replicas/createPostgresWithReplica.js';
export type {
  CreatePostgresWithReplicaOptions,
  PostgresWithReplica,
} from './replicas/createPostgresWithReplica.js';
export { primaryLsn, waitForReplay, waitForPosition, REPLICA_WAIT_DEFAULTS } from './replicas/replicaWait.js';
export type { Lsn, PrimaryLsnOptions, ReplicaWaitOptions } from './replicas/replicaWait.js';
export { ReplicaLagError, isReplicaLagError, REPLICA_LAG_CODE } from './replicas/replicaLagError.js';
export type { ReplicaLagFacts } from './replicas/replicaLagError.js';

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
export { PostgresEventStore } from './eventStore/postgresEventStore.js';
export { POSTGRES_EVENT_STORE_DEFAULTS } from './eventStore/postgresEventStoreOptions.js';
export {
  PositionOutOfRangeError,
  isPositionOutOfRangeError,
  POSITION_OUT_OF_RANGE_CODE,
} from './eventStore/positionOutOfRangeError.js';
export { repairEventGates } from './eventStore/repairEventGates.js';
export type { RepairEventGatesOptions, RepairEventGatesResult } from './eventStore/repairEventGates.js';
export type { PostgresEventStoreOptions } from './eventStore/postgresEventStoreOptions.js';
export {
  PostgresSnapshotStore,
  POSTGRES_SNAPSHOT_STORE_DEFAULTS,
} from './snapshots/postgresSnapshotStore.js';
export type { PostgresSnapshotStoreOptions } from './snapshots/postgresSnapshotStore.js';
export {
  PostgresCheckpointStore,
  POSTGRES_CHECKPOINT_STORE_DEFAULTS,
} from './projections/postgresCheckpointStore.js';
export type { PostgresCheckpointStoreOptions } from './projections/postgresCheckpointStore.js';
export {
  PostgresDeadLetterStore,
  POSTGRES_DEAD_LETTER_STORE_DEFAULTS,
} from './projections/postgresDeadLetterStore.js';
export type { PostgresDeadLetterStoreOptions } from './projections/postgresDeadLetterStore.js';
export { defineInlineProjection } from './projections/inlineProjection.js';
export type {
  DefineInlineProjectionOptions,
  InlineHandler,
  InlineHandlers,
} from './projections/inlineProjection.js';
export { definePostgresProjection } from './projections/postgresProjection.js';
export type {
  DefinePostgresProjectionOptions,
  PostgresProjectionContext,
  PostgresProjectionHandler,
  PostgresProjectionHandlers,
} from './projections/postgresProjection.js';
export { PostgresProjectionCheckpoints } from './projections/postgresProjectionCheckpoints.js';
export type { PostgresProjectionCheckpointsOptions } from './projections/postgresProjectionCheckpoints.js';

// --- workers
export { PostgresLeases, POSTGRES_LEASES_DEFAULTS } from './workers/postgresLeases.js';
export type { Lease, LeaseHolder, PostgresLeasesOptions } from './workers/postgresLeases.js';
export { LeaseLostError, isLeaseLostError, LEASE_LOST_CODE } from './workers/leaseLostError.js';
export { ProjectionDaemon } from './workers/projectionDaemon.js';
export type { DaemonProjectionState } from './workers/projectionDaemon.js';
export { PROJECTION_DAEMON_DEFAULTS } from './workers/projectionDaemonOptions.js';
export type { ProjectionDaemonOptions, ProjectionDaemonEntry } from './workers/projectionDaemonOptions.js';
export type { DaemonRunnerOptions } from './workers/projectionSlot.js';
export { OutboxRelayWorker } from './workers/outboxRelayWorker.js';
export { OUTBOX_RELAY_WORKER_DEFAULTS } from './workers/outboxRelayWorkerOptions.js';
export type { OutboxRelayWorkerOptions } from './workers/outboxRelayWorkerOptions.js';
