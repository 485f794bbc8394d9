import { ConcurrencyError } from '@keel/core';
import { ANY, checkRecordedIds, NO_STREAM, STREAM_EXISTS } from '@keel/eventsourcing';
import type { AppendResult, ExpectedVersion, NewEvent, RecordedEvent } from '@keel/eventsourcing';
import { isSqlError } from '../../errors.js';
import type { SqlExecutor } from '../../client/sqlClient.js';
import { toJsonParam } from '../../internal/json.js';
import { toNumber } from '../../internal/normalize.js';
import { PositionOutOfRangeError } from '../../errors.js';
import { EVENT_COLUMNS, toRecordedEvent } from './eventRows.js';
import type { EventRow } from './eventRows.js';

/** What one append sends: the batch already checked and serialized. */
export interface AppendRequest {
  /** The quoted, qualified `events` table. */
  readonly table: string;
  /** The quoted, qualified `append_events` function. */
  readonly fn: string;
  readonly streamName: string;
  readonly events: readonly NewEvent[];
  readonly ids: readonly string[];
  /** JSON text of each event's data (`null` for `undefined`). */
  readonly data: readonly (string | null)[];
  /** JSON text of each event's metadata. */
  readonly metadata: readonly string[];
  readonly expected: ExpectedVersion;
  /** The store clock's time in ms; recorded-at is the later of it and the previous event's. */
  readonly now: number;
  /** The channel to `NOTIFY` inside the transaction, when the caller owns the transaction. */
  readonly notifyChannel: string | undefined;
}

interface AppendRow {
  readonly outcome: 'appended' | 'recorded' | 'conflict' | 'empty';
  readonly version: unknown;
  readonly first_position: unknown;
  readonly recorded_us: unknown;
  readonly stale: boolean;
}

/** The `(kind, number)` pair `append_events` takes for an expected version. */
function expectedParams(expected: ExpectedVersion): [string, number | null] {
  if (typeof expected === 'number') return ['exact', expected];
  if (expected === NO_STREAM) return ['no_stream', null];
  if (expected === STREAM_EXISTS) return ['stream_exists', null];
  return [ANY, null];
}

/**
 * Runs one append as a single call of the schema's `append_events` function: the id check,
 * the expected-version check, the short position section and the insert, in one round trip.
 * An id already recorded costs one more query to tell an idempotent retry from a duplicate.
 * Outside a transaction the call runs unguarded (no subtransaction); when it clashes with a
 * concurrent append it is asked again, guarded, to learn the outcome (one more round trip).
 */
export async function appendEvents(executor: SqlExecutor, request: AppendRequest): Promise<AppendResult> {
  let row: AppendRow | undefined;
  try {
    row = await callAppend(executor, request, executor.inTransaction);
  } catch (error) {
    if (executor.inTransaction || !isSqlError(error) || error.sqlState !== UNIQUE_VIOLATION) throw error;
    row = await callAppend(executor, request, true);
  }
  if (row === undefined) throw new Error('append_events returned no row');
  switch (row.outcome) {
    case 'appended':
      return appended(
        request,
        toNumber(row.first_position),
        toNumber(row.version),
        toNumber(row.recorded_us),
      );
    case 'empty':
      return {
        nextExpectedVersion: toNumber(row.version),
        lastPosition: toNumber(row.first_position),
        events: [],
        appended: true,
      };
    case 'conflict':
      throw conflict(request, toNumber(row.version), row.stale);
    case 'recorded':
      return earlierAppend(executor, request, row.stale);
  }
}

const UNIQUE_VIOLATION = '23505';

/** One call of `append_events`; `guarded` keeps a clash from failing the transaction. */
async function callAppend(
  executor: SqlExecutor,
  request: AppendRequest,
  guarded: boolean,
): Promise<AppendRow | undefined> {
  const [kind, version] = expectedParams(request.expected);
  try {
    const result = await executor.query<AppendRow>(
      `SELECT * FROM ${request.fn}($1, $2, $3, $4::text[], $5::text[], $6::text[], $7::text[], $8, $9, $10)`,
      [
        request.streamName,
        kind,
        version,
        request.ids,
        request.events.map((event) => event.type),
        request.data,
        request.metadata,
        Math.round(request.now * 1000),
        request.notifyChannel ?? null,
        guarded,
      ],
    );
    return result.rows[0];
  } catch (error) {
    if (isSqlError(error) && error.sqlState === '2200H') throw new PositionOutOfRangeError({ cause: error });
    throw error;
  }
}

function appended(
  request: AppendRequest,
  first: number,
  lastVersion: number,
  recordedUs: number,
): AppendResult {
  const recordedAt = new Date(Math.floor(recordedUs / 1000));
  const startVersion = lastVersion - request.events.length + 1;
  const events = request.events.map((event, index): RecordedEvent => ({
    streamName: request.streamName,
    streamVersion: startVersion + index,
    globalPosition: first + index,
    eventId: request.ids[index]!,
    type: event.type,
    data: parseJson(request.data[index] ?? null),
    metadata: parseJson(request.metadata[index] ?? '{}') as RecordedEvent['metadata'],
    recordedAt,
  }));
  return {
    nextExpectedVersion: lastVersion,
    lastPosition: first + events.length - 1,
    events,
    appended: true,
  };
}

function parseJson(text: string | null): unknown {
  return text === null ? undefined : JSON.parse(text);
}

const STALE = 'a version committed after this transaction began';

function conflict(request: AppendRequest, actual: number, stale: boolean): ConcurrencyError {
  const seen = actual === 0 ? NO_STREAM : actual;
  return new ConcurrencyError({
    subject: request.streamName,
    expected: request.expected,
    // In REPEATABLE READ or SERIALIZABLE the winner's commit is invisible to this snapshot.
    actual: stale && seen === request.expected ? STALE : seen,
  });
}

/**
 * Some ids of the batch are already recorded: the earlier result when the whole batch sits, in
 * order, where this append targets (a retry); otherwise a {@link DuplicateEventError}.
 */
async function earlierAppend(
  executor: SqlExecutor,
  request: AppendRequest,
  stale: boolean,
): Promise<AppendResult> {
  const { rows } = await executor.query<EventRow>(
    `SELECT ${EVENT_COLUMNS} FROM ${request.table} WHERE event_id = ANY($1::text[]) ORDER BY global_position`,
    [request.ids],
  );
  if (rows.length === 0) {
    // The ids were committed by a transaction this snapshot cannot see: retry the transaction.
    throw new ConcurrencyError({
      subject: request.streamName,
      expected: request.expected,
      actual: stale ? STALE : 'a version written by a concurrent append',
    });
  }
  const earlier = checkRecordedIds(
    request.streamName,
    request.ids,
    request.expected,
    rows.map(toRecordedEvent),
  );
  if (earlier === undefined) throw new Error('append_events reported recorded ids that are not there');
  const last = earlier[earlier.length - 1]!;
  return {
    nextExpectedVersion: last.streamVersion,
    lastPosition: last.globalPosition,
    events: earlier,
    appended: false,
  };
}

/** Serializes a batch for {@link appendEvents}, refusing bad values before anything is sent. */
export function serializeBatch(
  streamName: string,
  events: readonly NewEvent[],
): { data: (string | null)[]; metadata: string[] } {
  const what = (index: number): string => `event ${index + 1} of the append to "${streamName}"`;
  return {
    data: events.map((event, index) => toJsonParam(event.data, `the data of ${what(index)}`)),
    metadata: events.map(
      (event, index) => toJsonParam(event.metadata ?? {}, `the metadata of ${what(index)}`) ?? '{}',
    ),
  };
}

/** The current version of a stream (0 when it has no events). */
export async function streamVersionIn(
  executor: SqlExecutor,
  table: string,
  streamName: string,
): Promise<number> {
  const { rows } = await executor.query<{ version: unknown }>(
    `SELECT coalesce(max(stream_version), 0) AS version FROM ${table} WHERE stream_name = $1`,
    [streamName],
  );
  return toNumber(rows[0]?.version ?? 0);
}
