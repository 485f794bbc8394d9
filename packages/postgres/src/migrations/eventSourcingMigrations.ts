import { EVENT_STORE_MIGRATIONS } from '../eventStore/eventStoreMigrations.js';
import { PROJECTION_MIGRATIONS } from '../projections/projectionMigrations.js';
import { SNAPSHOT_MIGRATIONS } from '../snapshots/snapshotMigrations.js';
import type { Migration } from './migration.js';

/** The steps of the event-sourcing tables (events, snapshots, checkpoints, dead letters), versions 100–999. */
export const EVENT_SOURCING_MIGRATIONS: readonly Migration[] = Object.freeze([
  ...EVENT_STORE_MIGRATIONS,
  ...SNAPSHOT_MIGRATIONS,
  ...PROJECTION_MIGRATIONS,
]);
