import { IDEMPOTENCY_MIGRATIONS } from '../cqrs/idempotencyMigrations.js';
import { EVENT_STORE_MIGRATIONS } from '../eventsourcing/eventStore/eventStoreMigrations.js';
import { INBOX_MIGRATIONS, OUTBOX_MIGRATIONS } from '../outbox/outboxMigrations.js';
import { PROJECTION_MIGRATIONS } from '../eventsourcing/projections/projectionMigrations.js';
import { SAGA_MIGRATIONS } from '../saga/sagaMigrations.js';
import { SNAPSHOT_MIGRATIONS } from '../eventsourcing/snapshots/snapshotMigrations.js';
import { WORKER_MIGRATIONS } from '../leases/leaseMigrations.js';
import type { Migration } from './migration.js';

/**
 * A group of tables that `migrate(client, { stores })` can create on its own:
 *
 * - `eventStore`: `events` and its append functions (`PostgresEventStore`, `repairEventGates`).
 * - `snapshots`: `snapshots` (`PostgresSnapshotStore`).
 * - `projections`: `checkpoints` and `dead_letters` (`PostgresCheckpointStore`,
 *   `PostgresDeadLetterStore`, `definePostgresProjection`, `PostgresProjectionCheckpoints`).
 * - `outbox`: `outbox` (`PostgresOutbox`, `OutboxRelay`).
 * - `inbox`: `inbox` (`PostgresInbox`).
 * - `sagas`: `sagas` and `processes` (`PostgresSagaStore`, `PostgresProcessStore`).
 * - `idempotency`: `idempotency` (`PostgresIdempotencyStore`).
 * - `workers`: `worker_leases` (`PostgresLeases`; `ProjectionDaemon` also needs `projections`,
 *   `OutboxRelayWorker` also needs `outbox`).
 *
 * No table of one group refers to another's, so a group never pulls another in.
 */
export type KeelStore =
  'eventStore' | 'snapshots' | 'projections' | 'outbox' | 'inbox' | 'sagas' | 'idempotency' | 'workers';

/**
 * The schema steps of each {@link KeelStore}: together they are `KEEL_MIGRATIONS`.
 * @example
 * ```ts
 * KEEL_STORE_MIGRATIONS.sagas.map((step) => step.version); // [1, 2]
 * ```
 */
export const KEEL_STORE_MIGRATIONS: Readonly<Record<KeelStore, readonly Migration[]>> = Object.freeze({
  eventStore: EVENT_STORE_MIGRATIONS,
  snapshots: SNAPSHOT_MIGRATIONS,
  projections: PROJECTION_MIGRATIONS,
  outbox: OUTBOX_MIGRATIONS,
  inbox: INBOX_MIGRATIONS,
  sagas: SAGA_MIGRATIONS,
  idempotency: IDEMPOTENCY_MIGRATIONS,
  workers: WORKER_MIGRATIONS,
});

/** Every {@link KeelStore} name: what `migrate()` creates when `stores` is not given. */
export const KEEL_STORES: readonly KeelStore[] = Object.freeze(
  Object.keys(KEEL_STORE_MIGRATIONS) as KeelStore[],
);

/**
 * Every schema step of `@keel/postgres`, in version order (the steps of every {@link KeelStore}):
 * what `migrate()` applies by default. Append your own steps (versions 1000+) to migrate them
 * together.
 * @example
 * ```ts
 * await migrate(client, { migrations: [...KEEL_MIGRATIONS, ordersView] });
 * ```
 */
export const KEEL_MIGRATIONS: readonly Migration[] = Object.freeze(
  KEEL_STORES.flatMap((store) => KEEL_STORE_MIGRATIONS[store]).sort((a, b) => a.version - b.version),
);

const storeOfVersion = new Map<number, KeelStore>(
  KEEL_STORES.flatMap((store) => KEEL_STORE_MIGRATIONS[store].map((step) => [step.version, store] as const)),
);

/** The problem with a `stores` option, in words, or `undefined` when it is a usable list. */
export function storesProblem(stores: unknown): string | undefined {
  if (stores === undefined) return undefined;
  const known = KEEL_STORES.map((store) => `"${store}"`).join(', ');
  if (!Array.isArray(stores))
    return `must be a list of store names (any of ${known}), or undefined for every store.`;
  if (stores.length === 0)
    return `names no store: list at least one of ${known}, or leave it undefined for every store.`;
  const unknown = stores.filter((store) => !KEEL_STORES.includes(store as KeelStore));
  if (unknown.length === 0) return undefined;
  const names = unknown.map((store) => (typeof store === 'string' ? `"${store}"` : String(store)));
  return `has ${unknown.length} unknown store name(s) ${names.join(', ')}; use any of ${known}.`;
}

/**
 * The steps `migrate()` applies for `stores`: Keel's steps of the chosen groups, and every step
 * that belongs to no group (a user's own, versions 1000+), in the given order.
 */
export function stepsOfStores(steps: readonly Migration[], stores: readonly KeelStore[]): Migration[] {
  const chosen = new Set(stores);
  return steps.filter((step) => {
    const store = storeOfVersion.get(step.version);
    return store === undefined || chosen.has(store);
  });
}
