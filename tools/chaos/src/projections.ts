import type { Projection, RecordedEvent } from '@keel/eventsourcing';
import { definePostgresProjection, sqlSchema } from '@keel/postgres';
import type { SqlTransaction } from '@keel/postgres';
import { READ_MODEL_TABLES } from './schema.js';

/** The stream prefix of every account stream the driver appends to. */
export const ACCOUNT_PREFIX = 'acct-';

/** The event types the driver appends. */
export const ACCOUNT_EVENTS = ['Deposited', 'Withdrawn'] as const;

/** The data of an account event. */
export interface AccountEventData {
  readonly amount: number;
}

interface Row {
  events: number;
  amount: number;
  lastPosition: number;
}

function signedAmount(event: RecordedEvent): number {
  const amount = (event.data as AccountEventData).amount;
  return event.type === 'Withdrawn' ? -amount : amount;
}

/** Folds a batch into one row per key, in log order (so the last position is the batch's last). */
function fold(events: readonly RecordedEvent[], keyOf: (event: RecordedEvent) => string): Map<string, Row> {
  const rows = new Map<string, Row>();
  for (const event of events) {
    const key = keyOf(event);
    const row = rows.get(key) ?? { events: 0, amount: 0, lastPosition: 0 };
    row.events++;
    row.amount += signedAmount(event);
    row.lastPosition = event.globalPosition;
    rows.set(key, row);
  }
  return rows;
}

/**
 * Adds a batch to the read model with increments, not overwrites: an event applied twice (or
 * skipped) makes the table differ from a fresh rebuild.
 */
async function addBatch(tx: SqlTransaction, table: string, rows: Map<string, Row>): Promise<void> {
  const keys = [...rows.keys()];
  const values = [...rows.values()];
  await tx.query(
    `INSERT INTO ${table} AS t (key, events, amount, last_position)
     SELECT * FROM unnest($1::text[], $2::int[], $3::bigint[], $4::bigint[])
     ON CONFLICT (key) DO UPDATE SET events = t.events + EXCLUDED.events,
       amount = t.amount + EXCLUDED.amount, last_position = EXCLUDED.last_position`,
    [
      keys,
      values.map((row) => row.events),
      values.map((row) => row.amount),
      values.map((row) => row.lastPosition),
    ],
  );
}

/** The projections the workers run, or (with other names and tables) the checker's rebuild. */
export interface ChaosProjectionNames {
  readonly streams: { readonly name: string; readonly table: string };
  readonly types: { readonly name: string; readonly table: string };
}

/** The names the workers' projection daemons use. */
export const LIVE_PROJECTIONS: ChaosProjectionNames = Object.freeze({
  streams: { name: 'chaos-streams', table: READ_MODEL_TABLES.streams },
  types: { name: 'chaos-types', table: READ_MODEL_TABLES.types },
});

/**
 * Two projections over the global log: per account stream, and per event type, each counting
 * events and summing amounts in its read model table within the checkpoint's transaction.
 */
export function chaosProjections(
  schema: string,
  names: ChaosProjectionNames = LIVE_PROJECTIONS,
): Projection[] {
  const qualified = sqlSchema(schema);
  const streams = definePostgresProjection({
    name: names.streams.name,
    eventTypes: [...ACCOUNT_EVENTS],
    streamPrefix: ACCOUNT_PREFIX,
    handleBatch: (events, { tx }) =>
      addBatch(
        tx,
        qualified.table(names.streams.table),
        fold(events, (event) => event.streamName),
      ),
  });
  const types = definePostgresProjection({
    name: names.types.name,
    eventTypes: [...ACCOUNT_EVENTS],
    handleBatch: (events, { tx }) =>
      addBatch(
        tx,
        qualified.table(names.types.table),
        fold(events, (event) => event.type),
      ),
  });
  return [streams, types];
}
