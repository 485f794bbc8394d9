import { IDEMPOTENCY_MIGRATIONS } from '../cqrs/idempotencyMigrations.js';
import { INBOX_MIGRATIONS, OUTBOX_MIGRATIONS } from '../outbox/outboxMigrations.js';
import { SAGA_MIGRATIONS } from '../saga/sagaMigrations.js';
import type { Migration } from './migration.js';

/** The steps of the foundation tables (sagas, processes, idempotency, outbox, inbox), versions 1–99. */
export const FOUNDATION_MIGRATIONS: readonly Migration[] = Object.freeze([
  ...SAGA_MIGRATIONS,
  ...IDEMPOTENCY_MIGRATIONS,
  ...OUTBOX_MIGRATIONS,
  ...INBOX_MIGRATIONS,
]);
