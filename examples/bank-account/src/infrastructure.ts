import { mkdir, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { newId } from '@keel/core';
import type { Clock, Logger } from '@keel/core';
import {
  InMemoryCheckpointStore,
  InMemoryDeadLetterStore,
  InMemoryEventStore,
  InMemorySnapshotStore,
} from '@keel/eventsourcing';
import type { CheckpointStore, DeadLetterStore, EventStore, SnapshotStore } from '@keel/eventsourcing';
import {
  createPostgres,
  migrate,
  PostgresCheckpointStore,
  PostgresDeadLetterStore,
  PostgresEventStore,
  PostgresSnapshotStore,
  quoteIdentifier,
} from '@keel/postgres';

/** What keeps the events: memory, embedded PGlite, or a PostgreSQL server. */
export type Backend = 'in-memory' | 'pglite' | 'postgres';

/** The stores the bank runs on. */
export interface Infrastructure {
  readonly backend: Backend;
  /** One line saying where the data lives, for the narration. */
  readonly description: string;
  /** The raw event store (the bank wraps it with its upcaster). */
  readonly eventStore: EventStore;
  readonly snapshots: SnapshotStore;
  readonly checkpoints: CheckpointStore;
  readonly deadLetters: DeadLetterStore;
  /** Releases the database (and drops the run's schema on a server). */
  close(): Promise<void>;
}

/** Options of {@link createInfrastructure}. */
export interface InfrastructureOptions {
  /** @default systemClock */
  clock?: Clock;
  /** `memory`: the in-memory stores; `postgres`: `@keel/postgres` on PGlite or a server. @default 'postgres' */
  engine?: 'memory' | 'postgres';
  /** A PostgreSQL server; empty or unset means embedded PGlite. @default process.env.KEEL_PG_URL */
  url?: string | undefined;
  /**
   * Where PGlite keeps its files; wiped first so every run starts from an empty bank.
   * `false` keeps PGlite in memory.
   * @default examples/bank-account/out/.data/pglite
   */
  dataDir?: string | false;
  /** Where opening the database (PGlite takes seconds) and migrating it report progress. @default noopLogger */
  logger?: Logger | undefined;
}

/** Where `pnpm start` keeps the embedded database. */
export const DEFAULT_DATA_DIR = fileURLToPath(new URL('../out/.data/pglite', import.meta.url));

/**
 * Chooses the stores: the one place that decides where events, snapshots and checkpoints live.
 * By default `@keel/postgres` on embedded PGlite (DESIGN: examples run on the embedded default);
 * with `KEEL_PG_URL` on that server, in a fresh schema dropped at `close()`; with
 * `engine: 'memory'` the in-memory stores of `@keel/eventsourcing`.
 */
export async function createInfrastructure(options: InfrastructureOptions = {}): Promise<Infrastructure> {
  if (options.engine === 'memory') return inMemory(options.clock);
  const url = 'url' in options ? options.url : process.env['KEEL_PG_URL'];
  const onServer = url !== undefined && url !== '';
  const dataDir = onServer ? undefined : (options.dataDir ?? DEFAULT_DATA_DIR);
  if (typeof dataDir === 'string') {
    await rm(dataDir, { recursive: true, force: true });
    await mkdir(dirname(dataDir), { recursive: true }); // PGlite creates only the last folder
  }
  const { logger } = options;
  const client = await createPostgres({ url, dataDir: dataDir === false ? undefined : dataDir, logger });
  // On a shared server each run gets its own schema; the embedded database is fresh anyway.
  const schema = onServer ? `bank_account_${newId().replaceAll('-', '').slice(-12)}` : 'keel';
  await migrate(client, { schema, logger });
  const clock = options.clock === undefined ? {} : { clock: options.clock };
  const where = onServer
    ? `the PostgreSQL server in KEEL_PG_URL, schema "${schema}" (dropped at the end)`
    : `embedded PGlite ${typeof dataDir === 'string' ? `in ${dataDir}` : 'in memory'}`;
  return {
    backend: onServer ? 'postgres' : 'pglite',
    description: `@keel/postgres on ${where}`,
    eventStore: new PostgresEventStore(client, { schema, ...clock }),
    snapshots: new PostgresSnapshotStore(client, { schema }),
    checkpoints: new PostgresCheckpointStore(client, { schema }),
    deadLetters: new PostgresDeadLetterStore(client, { schema }),
    close: async () => {
      if (onServer) await client.exec(`DROP SCHEMA IF EXISTS ${quoteIdentifier(schema)} CASCADE`);
      await client.close();
    },
  };
}

function inMemory(clock: Clock | undefined): Infrastructure {
  return {
    backend: 'in-memory',
    description: 'the in-memory stores of @keel/eventsourcing',
    eventStore: new InMemoryEventStore(clock === undefined ? {} : { clock }),
    snapshots: new InMemorySnapshotStore(),
    checkpoints: new InMemoryCheckpointStore(),
    deadLetters: new InMemoryDeadLetterStore(),
    close: async () => {},
  };
}
