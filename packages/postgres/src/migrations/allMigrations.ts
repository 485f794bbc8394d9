import { EVENT_SOURCING_MIGRATIONS } from './eventSourcingMigrations.js';
import { FOUNDATION_MIGRATIONS } from './foundationMigrations.js';
import type { Migration } from './migration.js';
import { WORKER_MIGRATIONS } from '../workers/workerMigrations.js';

/**
 * Every schema step of `@keel/postgres`, in version order: what {@link migrate} applies by
 * default. Append your own steps (versions 1000+) to migrate them together.
 */
export const KEEL_MIGRATIONS: readonly Migration[] = Object.freeze(
  [...FOUNDATION_MIGRATIONS, ...WORKER_MIGRATIONS, ...EVENT_SOURCING_MIGRATIONS].sort(
    (a, b) => a.version - b.version,
  ),
);
