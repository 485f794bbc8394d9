import { mkdir, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from '@keel/core';
import type { SqlClient } from '@keel/postgres';
import { createPostgres, migrate, quoteIdentifier } from '@keel/postgres';
import { PostgresProcessStore, PostgresSagaStore } from '@keel/postgres/saga';
import type { ProcessStore, SagaStore } from '@keel/saga';

/** Where the sagas live: embedded PGlite (the default) or a PostgreSQL server. */
export type Backend = 'pglite' | 'postgres';

/** The database the example runs on, and the stores on it. */
export interface Infrastructure {
  readonly backend: Backend;
  /** One line saying where the data lives, for the narration. */
  readonly description: string;
  /** Whether {@link Infrastructure.reconnect} finds the data again (false for in-memory PGlite). */
  readonly durable: boolean;
  /** A saga store on the current connection. */
  sagaStore(): SagaStore;
  /** A process-manager store on the current connection. */
  processStore(): ProcessStore;
  /**
   * Closes the connection and opens a new one on the same data, as a restarted process does.
   * Stores made before keep the closed connection: ask for new ones.
   */
  reconnect(): Promise<void>;
  /** Closes the database so the process can exit. */
  close(): Promise<void>;
}

/** Options of {@link createInfrastructure}. */
export interface InfrastructureOptions {
  /** A PostgreSQL server; empty or unset means embedded PGlite. @default process.env.KEEL_PG_URL */
  url?: string | undefined;
  /**
   * Where PGlite keeps its files; removed first so every run starts empty. `false` keeps
   * PGlite in memory (then `reconnect()` cannot find the data again and does nothing).
   * @default examples/order-saga/out/.data/pglite
   */
  dataDir?: string | false;
  /** The schema of the tables; on a server it is dropped and created again at the start. @default 'order_saga' */
  schema?: string;
  /** Where opening the database (PGlite takes seconds) and migrating it report progress. @default noopLogger */
  logger?: Logger | undefined;
}

/** Where `pnpm start` keeps the embedded database. */
export const DEFAULT_DATA_DIR = fileURLToPath(new URL('../out/.data/pglite', import.meta.url));

/**
 * Opens the database (the one place that decides it): `@keel/postgres` on a PostgreSQL server
 * when `KEEL_PG_URL` is set, else on embedded PGlite persisted to `out/.data/pglite`. Runs
 * `migrate()` so the saga and process tables exist.
 */
export async function createInfrastructure(options: InfrastructureOptions = {}): Promise<Infrastructure> {
  const url = 'url' in options ? options.url : process.env['KEEL_PG_URL'];
  const onServer = url !== undefined && url !== '';
  const dataDir = onServer ? undefined : (options.dataDir ?? DEFAULT_DATA_DIR);
  const schema = options.schema ?? 'order_saga';
  if (typeof dataDir === 'string') {
    await rm(dataDir, { recursive: true, force: true });
    await mkdir(dirname(dataDir), { recursive: true }); // PGlite creates only the last folder
  }
  const { logger } = options;
  const open = () =>
    createPostgres({ url, dataDir: typeof dataDir === 'string' ? dataDir : undefined, logger });
  let client: SqlClient = await open();
  if (onServer) await client.exec(`DROP SCHEMA IF EXISTS ${quoteIdentifier(schema)} CASCADE`);
  await migrate(client, { schema, logger });
  const where = onServer
    ? `the PostgreSQL server in KEEL_PG_URL, schema "${schema}"`
    : `embedded PGlite ${typeof dataDir === 'string' ? `in ${dataDir}` : 'in memory'}`;
  return {
    backend: onServer ? 'postgres' : 'pglite',
    description: `@keel/postgres on ${where}`,
    durable: dataDir !== false,
    sagaStore: () => new PostgresSagaStore(client, { schema }),
    processStore: () => new PostgresProcessStore(client, { schema }),
    reconnect: async () => {
      if (dataDir === false) return;
      await client.close();
      client = await open();
    },
    close: () => client.close(),
  };
}
