import type { Migration } from './migration.js';

/**
 * The steps of the event-sourcing tables (event store, snapshots, checkpoints, dead letters,
 * inline projections), versions 100–999. Part of {@link KEEL_MIGRATIONS}.
 */
export const EVENT_SOURCING_MIGRATIONS: readonly Migration[] = Object.freeze([]);
