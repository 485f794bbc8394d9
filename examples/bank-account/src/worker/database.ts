import { withUpcasting } from '@keel/eventsourcing';
import type { EventStore } from '@keel/eventsourcing';
import {
  createPostgres,
  migrate,
  PostgresCheckpointStore,
  PostgresDeadLetterStore,
  PostgresEventStore,
  PostgresSnapshotStore,
} from '@keel/postgres';
import type { SqlClient } from '@keel/postgres';
import { accountUpcaster } from '../bank.js';
import type { Infrastructure } from '../infrastructure.js';
import { createBalancesTable } from './balancesTable.js';

/** Where the worker service keeps its data: what {@link openWorkerDatabase} needs. */
export interface WorkerDatabaseOptions {
  /** A PostgreSQL server; empty means embedded PGlite in `dataDir`. */
  readonly url: string;
  /** Where embedded PGlite keeps its files. */
  readonly dataDir: string;
  /** The schema of Keel's tables and the balances table. */
  readonly schema: string;
}

/** The database of the worker service, migrated, with the stores over it. */
export interface WorkerDatabase {
  readonly client: SqlClient;
  readonly schema: string;
  /** Whether it runs on a server or on embedded PGlite. */
  readonly onServer: boolean;
  /** One line saying where the data lives. */
  readonly description: string;
  /** The event store as the projections read it: v1 events arrive upcast to v2. */
  readonly store: EventStore;
  /**
   * The same database as the bank's stores, for `createBank({ infrastructure })` (the write
   * side of another process, or of a test); its `close()` closes the client.
   */
  readonly infrastructure: Infrastructure;
  /** Closes the client; the data stays. */
  close(): Promise<void>;
}

/**
 * Opens the database the workers run on, as `createInfrastructure` chooses it (`KEEL_PG_URL`,
 * else embedded PGlite), but as a long-running service needs it: the data is kept (never
 * wiped, no throwaway schema), `migrate()` brings Keel's tables up to date, and the balances
 * table is created if missing. Embedded PGlite takes a few seconds to open.
 *
 * Embedded PGlite is a database inside one process: only one process may open a data folder
 * at a time. To run the worker next to writers in other processes, use a PostgreSQL server.
 */
export async function openWorkerDatabase(options: WorkerDatabaseOptions): Promise<WorkerDatabase> {
  const { url, dataDir, schema } = options;
  const onServer = url !== '';
  const client = await createPostgres(onServer ? { url } : { dataDir });
  try {
    await migrate(client, { schema });
    await createBalancesTable(client, schema);
  } catch (error) {
    await client.close();
    throw error;
  }
  const eventStore = new PostgresEventStore(client, { schema });
  const description = onServer
    ? `the PostgreSQL server in KEEL_PG_URL, schema "${schema}"`
    : `embedded PGlite in ${dataDir}, schema "${schema}"`;
  const close = () => client.close();
  const infrastructure: Infrastructure = {
    backend: onServer ? 'postgres' : 'pglite',
    description: `@keel/postgres on ${description}`,
    eventStore,
    snapshots: new PostgresSnapshotStore(client, { schema }),
    checkpoints: new PostgresCheckpointStore(client, { schema }),
    deadLetters: new PostgresDeadLetterStore(client, { schema }),
    close,
  };
  const store = withUpcasting(eventStore, accountUpcaster);
  return { client, schema, onServer, description, store, infrastructure, close };
}
