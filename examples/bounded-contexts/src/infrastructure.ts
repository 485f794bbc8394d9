import { rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { newId } from '@keel/core';
import type { Clock, Logger } from '@keel/core';
import { InMemoryCheckpointStore, InMemoryEventStore } from '@keel/eventsourcing';
import type { CheckpointStore, EventStore } from '@keel/eventsourcing';
import {
  createPostgres,
  migrate,
  PostgresCheckpointStore,
  PostgresEventStore,
  quoteIdentifier,
} from '@keel/postgres';

/** The stores of both contexts: each context gets its own, and neither reads the other's. */
export interface Infrastructure {
  /** One line saying where the data lives, for the narration. */
  readonly description: string;
  readonly sales: { readonly events: EventStore; readonly checkpoints: CheckpointStore };
  readonly billing: { readonly events: EventStore };
  /** Releases the database (and drops the run's schemas on a server). */
  close(): Promise<void>;
}

/** Options of {@link createInfrastructure}. */
export interface InfrastructureOptions {
  /** @default systemClock */
  clock?: Clock | undefined;
  /** `memory`: the in-memory stores; `postgres`: `@keel/postgres` on PGlite or a server. @default 'postgres' */
  engine?: 'memory' | 'postgres' | undefined;
  /** A PostgreSQL server; empty or unset means embedded PGlite. @default process.env.KEEL_PG_URL */
  url?: string | undefined;
  /** Where PGlite keeps its files (wiped first); `false` keeps it in memory. @default out/.data/pglite */
  dataDir?: string | false | undefined;
  /** Where opening the database (PGlite takes seconds) and migrating it report progress. @default noopLogger */
  logger?: Logger | undefined;
}

/** Where `pnpm start` keeps the embedded database. */
export const DEFAULT_DATA_DIR = fileURLToPath(new URL('../out/.data/pglite', import.meta.url));

/**
 * Chooses the stores. By default one embedded PGlite database with a schema per context
 * (`sales`, `billing`): separate tables, no shared ones. With `KEEL_PG_URL` the same on that
 * server in fresh schemas dropped at `close()`; with `engine: 'memory'` one in-memory store each.
 */
export async function createInfrastructure(options: InfrastructureOptions = {}): Promise<Infrastructure> {
  const clock = options.clock === undefined ? {} : { clock: options.clock };
  if (options.engine === 'memory') {
    return {
      description: 'an in-memory event store per context',
      sales: { events: new InMemoryEventStore(clock), checkpoints: new InMemoryCheckpointStore() },
      billing: { events: new InMemoryEventStore(clock) },
      close: async () => {},
    };
  }
  const url = 'url' in options ? options.url : process.env['KEEL_PG_URL'];
  const onServer = url !== undefined && url !== '';
  const dataDir = onServer ? undefined : (options.dataDir ?? DEFAULT_DATA_DIR);
  if (typeof dataDir === 'string') await rm(dataDir, { recursive: true, force: true });
  const { logger } = options;
  const client = await createPostgres({ url, dataDir: dataDir === false ? undefined : dataDir, logger });
  const suffix = onServer ? `_${newId().replaceAll('-', '').slice(-12)}` : '';
  const [sales, billing] = [`sales${suffix}`, `billing${suffix}`];
  // Each context migrates only the tables it uses: Sales keeps events and its projection's
  // checkpoints, Billing only events.
  await migrate(client, { schema: sales, stores: ['eventStore', 'projections'], logger });
  await migrate(client, { schema: billing, stores: ['eventStore'], logger });
  const where = onServer
    ? 'the PostgreSQL server in KEEL_PG_URL'
    : `embedded PGlite (${dataDir === false ? 'in memory' : dataDir})`;
  return {
    description: `@keel/postgres on ${where}, schemas "${sales}" and "${billing}"`,
    sales: {
      events: new PostgresEventStore(client, { schema: sales, ...clock }),
      checkpoints: new PostgresCheckpointStore(client, { schema: sales }),
    },
    billing: { events: new PostgresEventStore(client, { schema: billing, ...clock }) },
    close: async () => {
      if (onServer) {
        for (const schema of [sales, billing])
          await client.exec(`DROP SCHEMA IF EXISTS ${quoteIdentifier(schema)} CASCADE`);
      }
      await client.close();
    },
  };
}
