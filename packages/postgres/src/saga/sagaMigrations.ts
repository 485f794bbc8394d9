import type { Migration } from '../migrations/migration.js';

/** Schema steps of the saga and process-manager tables. Times are epoch milliseconds (bigint). */
export const SAGA_MIGRATIONS: readonly Migration[] = Object.freeze([
  {
    version: 1,
    name: 'sagas',
    sql: (schema) => `
      CREATE TABLE ${schema.table('sagas')} (
        saga_id text COLLATE "C" PRIMARY KEY,
        saga_name text NOT NULL,
        status text NOT NULL
          CHECK (status IN ('running', 'compensating', 'completed', 'compensated', 'failed')),
        input jsonb,
        history jsonb NOT NULL,
        error jsonb,
        created_at bigint NOT NULL,
        updated_at bigint NOT NULL,
        deadline_at bigint,
        version integer NOT NULL,
        lease_owner text,
        lease_until bigint
      );
      CREATE INDEX sagas_unfinished_idx ON ${schema.table('sagas')} (created_at, saga_id)
        WHERE status IN ('running', 'compensating');
      CREATE INDEX sagas_name_idx ON ${schema.table('sagas')} (saga_name, created_at, saga_id);`,
  },
  {
    version: 2,
    name: 'processes',
    sql: (schema) => `
      CREATE TABLE ${schema.table('processes')} (
        process_name text NOT NULL,
        correlation_id text COLLATE "C" NOT NULL,
        status text NOT NULL CHECK (status IN ('active', 'completed')),
        state jsonb,
        handled jsonb NOT NULL,
        pending jsonb NOT NULL,
        outbox jsonb NOT NULL,
        has_outbox boolean NOT NULL,
        created_at bigint NOT NULL,
        updated_at bigint NOT NULL,
        version integer NOT NULL,
        PRIMARY KEY (process_name, correlation_id)
      );
      CREATE INDEX processes_outbox_idx ON ${schema.table('processes')} (process_name, created_at)
        WHERE has_outbox;`,
  },
]);
