// `@keel/postgres/cqrs`: the idempotency store of the command bus. Needs `@keel/cqrs` installed.
export { PostgresIdempotencyStore, POSTGRES_IDEMPOTENCY_DEFAULTS } from './cqrs/postgresIdempotencyStore.js';
export type { PostgresIdempotencyStoreOptions } from './cqrs/postgresIdempotencyStore.js';
