// The three contenders of the PostgreSQL suite, each in its own schema on the same server:
// Keel's PostgresEventStore, Emmett's PostgreSQL event store, and a raw `pg` floor.
import { getPostgreSQLEventStore } from '@event-driven-io/emmett-postgresql';
import type { PostgresEventStore as EmmettStore } from '@event-driven-io/emmett-postgresql';
import { newId } from '@keel/core';
import { aggregateStream, NO_STREAM } from '@keel/eventsourcing';
import { fromPgPool, migrate, PostgresEventStore } from '@keel/postgres';
import pg from 'pg';
import type { BenchEvent, CommitMode } from './settings.js';
import { ownTypesPool, PG_URL, POOL_SIZE, RUN_ID, sessionOptions } from './settings.js';

/** What the suite measures on each contender. */
export interface PgContender {
  readonly name: string;
  /** Appends `events` to `stream`, which is at `version` (0: new), with that expected version. */
  append(stream: string, events: readonly BenchEvent[], version: number): Promise<void>;
  /** Reads `stream` back in order and folds it; returns the sum of the amounts. */
  rebuild(stream: string): Promise<number>;
  /** Empties the contender's event tables. */
  truncate(): Promise<void>;
  /** Closes its pools. */
  close(): Promise<void>;
}

/** The schema of each contender in this run. */
export const SCHEMAS = {
  keel: `bench_keel_${RUN_ID}`,
  emmett: `bench_emmett_${RUN_ID}`,
  floor: `bench_floor_${RUN_ID}`,
} as const;

const FLOOR_TABLE = `${SCHEMAS.floor}.events`;

/** Creates the three schemas and their tables. */
export async function createSchemas(): Promise<void> {
  const keel = fromPgPool(ownTypesPool('default commit', 2));
  try {
    await migrate(keel, { schema: SCHEMAS.keel });
    // The same rows, keys and index as Keel's events table, with no checks on append.
    await keel.exec(`
      CREATE SCHEMA ${SCHEMAS.floor};
      CREATE TABLE ${FLOOR_TABLE} (
        global_position bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        stream_name text NOT NULL,
        stream_version bigint NOT NULL,
        event_id text NOT NULL,
        event_type text NOT NULL,
        data jsonb,
        metadata jsonb NOT NULL,
        recorded_at timestamptz NOT NULL,
        UNIQUE (stream_name, stream_version),
        UNIQUE (event_id)
      );
      CREATE INDEX ON ${FLOOR_TABLE} (event_type, global_position);
      CREATE SCHEMA ${SCHEMAS.emmett};`);
  } finally {
    await keel.close();
  }
  const emmett = emmettContender('default commit');
  try {
    await emmett.migrate();
  } finally {
    await emmett.close();
  }
}

/** Drops the three schemas with everything in them. */
export async function dropSchemas(): Promise<void> {
  const pool = new pg.Pool({ connectionString: PG_URL, max: 1 });
  try {
    for (const schema of Object.values(SCHEMAS)) await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await pool.end();
  }
}

type Balance = { total: number; count: number };
const initialState = (): Balance => ({ total: 0, count: 0 });
const evolve = (state: Balance, event: { data: unknown }): Balance => ({
  total: state.total + (event.data as BenchEvent['data']).amount,
  count: state.count + 1,
});

/** Keel's PostgresEventStore on its own pool (pg's own type parsers), with its defaults. */
export function keelContender(mode: CommitMode): PgContender & { readonly store: PostgresEventStore } {
  const client = fromPgPool(ownTypesPool(mode));
  const store = new PostgresEventStore(client, { schema: SCHEMAS.keel });
  return {
    name: 'keel',
    store,
    async append(stream, events, version) {
      await store.appendToStream(stream, events, { expectedVersion: version === 0 ? NO_STREAM : version });
    },
    async rebuild(stream) {
      return (await aggregateStream(store, stream, { initialState, evolve })).state.total;
    },
    truncate: () => client.exec(`TRUNCATE ${SCHEMAS.keel}.events`),
    close: () => client.close(),
  };
}

/** Emmett's PostgreSQL event store on its own pool, its tables in its own schema (search_path). */
export function emmettContender(mode: CommitMode): PgContender & { migrate(): Promise<void> } {
  const options = sessionOptions(mode, SCHEMAS.emmett);
  const pool = new pg.Pool({ connectionString: PG_URL, max: POOL_SIZE, ...(options ? { options } : {}) });
  const store: EmmettStore = getPostgreSQLEventStore(PG_URL, {
    connectionOptions: { pool },
    schema: { autoMigration: 'None' },
  });
  return {
    name: 'emmett',
    async migrate() {
      await store.schema.migrate();
    },
    async append(stream, events, version) {
      await store.appendToStream(stream, [...events], { expectedStreamVersion: BigInt(version) });
    },
    async rebuild(stream) {
      const result = await store.aggregateStream<Balance, BenchEvent>(stream, { initialState, evolve });
      return result.state.total;
    },
    truncate: () => store.schema.dangerous.truncate(),
    async close() {
      await store.close();
      await pool.end().catch(() => undefined);
    },
  };
}

/**
 * The floor: the same rows with plain `pg`, one multi-row INSERT per batch (a statement of its
 * own, so its own transaction) and no checks at all.
 */
export function floorContender(mode: CommitMode): PgContender {
  const pool = ownTypesPool(mode);
  const statements = new Map<number, string>();
  const insertOf = (size: number): string => {
    let sql = statements.get(size);
    if (sql === undefined) {
      const rows = Array.from({ length: size }, (_, row) => {
        const p = row * 7;
        return `($${p + 1}, $${p + 2}, $${p + 3}, $${p + 4}, $${p + 5}::jsonb, $${p + 6}::jsonb, $${p + 7})`;
      });
      sql = `INSERT INTO ${FLOOR_TABLE}
        (stream_name, stream_version, event_id, event_type, data, metadata, recorded_at) VALUES ${rows.join(', ')}`;
      statements.set(size, sql);
    }
    return sql;
  };
  return {
    name: 'raw pg floor',
    async append(stream, events, version) {
      const now = new Date();
      const params = events.flatMap((event, index) => {
        const eventId = newId();
        return [
          stream,
          version + index + 1,
          eventId,
          event.type,
          JSON.stringify(event.data),
          JSON.stringify({ messageId: eventId }),
          now,
        ];
      });
      await pool.query(insertOf(events.length), params);
    },
    async rebuild(stream) {
      const { rows } = await pool.query<{ data: BenchEvent['data'] }>(
        `SELECT data FROM ${FLOOR_TABLE} WHERE stream_name = $1 ORDER BY stream_version`,
        [stream],
      );
      return rows.reduce((state, row) => evolve(state, row), initialState()).total;
    },
    truncate: async () => void (await pool.query(`TRUNCATE ${FLOOR_TABLE}`)),
    close: () => pool.end(),
  };
}

/** The three contenders of a commit mode, in a fixed order (rotated per round by the suite). */
export function openContenders(mode: CommitMode): PgContender[] {
  return [keelContender(mode), emmettContender(mode), floorContender(mode)];
}
