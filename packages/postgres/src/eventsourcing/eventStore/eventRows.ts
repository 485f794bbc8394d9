import { newId } from '@keel/core';
import type { EventFilter, EventMetadata, NewEvent, RecordedEvent } from '@keel/eventsourcing';
import { fromJsonColumn } from '../../internal/json.js';
import { PositionOutOfRangeError } from '../../errors.js';

/** The columns every event read selects, in the shape {@link toRecordedEvent} maps. */
export const EVENT_COLUMNS =
  // recorded_at as epoch ms: drivers parse a float far faster than a timestamptz text (half the
  // cost of reading a long stream went to date parsing).
  'global_position, stream_name, stream_version, event_id, event_type, data, data IS NULL AS data_is_null, metadata, ' +
  '(extract(epoch FROM recorded_at) * 1000)::float8 AS recorded_ms';

/** A row of the `events` table as read with {@link EVENT_COLUMNS}. */
export interface EventRow {
  readonly global_position: unknown;
  readonly stream_name: string;
  readonly stream_version: unknown;
  readonly event_id: string;
  readonly event_type: string;
  readonly data: unknown;
  readonly data_is_null: boolean;
  readonly metadata: unknown;
  readonly recorded_ms: number;
}

/** Maps an `events` row to the {@link RecordedEvent} envelope. */
export function toRecordedEvent(row: EventRow): RecordedEvent {
  return {
    streamName: row.stream_name,
    streamVersion: safeInteger(row.stream_version),
    globalPosition: safeInteger(row.global_position),
    eventId: row.event_id,
    type: row.event_type,
    data: fromJsonColumn(row.data, row.data_is_null),
    metadata: (row.metadata ?? {}) as EventMetadata,
    recordedAt: new Date(Math.floor(row.recorded_ms)),
  };
}

/** An `int8` column as a number, refusing values a number cannot hold exactly. */
function safeInteger(value: unknown): number {
  if (typeof value === 'number') return value;
  throw new PositionOutOfRangeError({ value: String(value) });
}

/** A `timestamptz` column as a `Date` (drivers return a `Date` or an ISO string). */
export function toDate(value: unknown): Date {
  return value instanceof Date ? value : new Date(String(value));
}

/**
 * The SQL of the first position a reader of the global order must not pass yet, for a reader
 * that has settled everything below `fromSql` (see `events_settled_bound` in the migrations).
 */
export function settledBound(schemaQuoted: string, fromSql: string): string {
  return `(SELECT ${schemaQuoted}.events_settled_bound(${fromSql}))`;
}

/** The names of the {@link EVENT_COLUMNS} as a query's output columns. */
const EVENT_FIELDS =
  'global_position, stream_name, stream_version, event_id, event_type, data, data_is_null, metadata, recorded_ms';

/**
 * The SQL and parameters of one page of a global read from `from` (inclusive): at most `limit`
 * settled rows (below `events_settled_bound(greatest(from, 1))`), in global order.
 */
export function allPageQuery(
  table: string,
  schemaQuoted: string,
  from: number,
  limit: number,
  filter: EventFilter | undefined,
): { readonly sql: string; readonly params: unknown[] } {
  const params: unknown[] = [Math.max(from, 0), limit];
  if (isEmptyFilter(filter)) return { sql: unfilteredPageSql(table), params };
  // Only settled rows: stop before the first position a later commit could still fill in below.
  const where = [
    'global_position >= $1',
    `global_position < ${settledBound(schemaQuoted, 'greatest($1, 1)')}`,
  ];
  if (filter?.eventTypes !== undefined) {
    params.push([...filter.eventTypes]);
    where.push(`event_type = ANY($${params.length}::text[])`);
  }
  if (filter?.streamPrefix !== undefined) {
    const prefixes = typeof filter.streamPrefix === 'string' ? [filter.streamPrefix] : filter.streamPrefix;
    params.push([...prefixes]);
    where.push(
      `EXISTS (SELECT 1 FROM unnest($${params.length}::text[]) AS p(prefix) WHERE starts_with(stream_name, p.prefix))`,
    );
  }
  return {
    sql: `SELECT ${EVENT_COLUMNS} FROM ${table} WHERE ${where.join(' AND ')} ORDER BY global_position LIMIT $2`,
    params,
  };
}

/** Whether `filter` lets every event through (none, or one with neither field). */
export function isEmptyFilter(filter: EventFilter | undefined): boolean {
  return filter?.eventTypes === undefined && filter?.streamPrefix === undefined;
}

/**
 * An unfiltered page, cut where `events_settled_bound(greatest($1, 1))` would cut it, computed
 * from the page's own rows. The function examines every row whose gate is not below the oldest
 * running transaction and looks up its predecessor; under steady concurrent appends the server
 * planned that as a hash anti-join over the whole table (about 150 ms per page at 600,000
 * events), which held a subscription to a page per 150 ms however far behind it was.
 *
 * The same cut from the page: a row `u > greatest($1, 1)` whose predecessor is missing is the
 * first row of the page or follows a gap in it (every visible position from `$1` up to the
 * page's last row is in the page), so the bound, when it falls inside the page, is the first
 * such row whose gate is not below the oldest running transaction. Rows from the bound on are
 * dropped; beyond the page it cuts nothing. One snapshot serves the rows and the xmin, as in
 * the function. The cost is the page's own rows, whatever the table's size.
 */
function unfilteredPageSql(table: string): string {
  return `WITH page AS (
  SELECT e.*, lag(e.global_position) OVER (ORDER BY e.global_position) AS previous_position
  FROM (SELECT ${EVENT_COLUMNS}, gate_xid FROM ${table} WHERE global_position >= $1 ORDER BY global_position LIMIT $2) AS e
)
SELECT ${EVENT_FIELDS} FROM page
WHERE global_position < (
  SELECT coalesce(min(global_position), 9223372036854775807) FROM page
  WHERE gate_xid >= pg_snapshot_xmin(pg_current_snapshot())::text::bigint
    AND global_position > greatest($1, 1)
    AND previous_position IS DISTINCT FROM global_position - 1)
ORDER BY global_position`;
}

/** The id an event is recorded under: `eventId`, else core's `metadata.messageId`, else a new UUID v7. */
export function eventIdOf(event: NewEvent): string {
  if (event.eventId !== undefined) return event.eventId;
  const messageId = (event.metadata as Record<string, unknown> | undefined)?.['messageId'];
  return typeof messageId === 'string' && messageId.length > 0 ? messageId : newId();
}

/** Query options carrying `signal` when there is one. */
export function signalOption(signal: AbortSignal | undefined): { signal?: AbortSignal } {
  return signal === undefined ? {} : { signal };
}
