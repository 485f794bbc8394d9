// `@keel/postgres/saga`: the saga and process-manager stores. Needs `@keel/saga` installed.
export { PostgresSagaStore, POSTGRES_SAGA_STORE_DEFAULTS } from './saga/postgresSagaStore.js';
export type { PostgresSagaStoreOptions } from './saga/postgresSagaStore.js';
export { PostgresProcessStore, POSTGRES_PROCESS_STORE_DEFAULTS } from './saga/postgresProcessStore.js';
export type { PostgresProcessStoreOptions } from './saga/postgresProcessStore.js';
