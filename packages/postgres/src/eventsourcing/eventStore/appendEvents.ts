import { ConcurrencyError, toStorableJson } from '@keel/core';
import { ANY, checkRecordedIds, NO_STREAM, STREAM_EXISTS } from '@keel/eventsourcing';
import type { AppendResult, ExpectedVersion, NewEvent, RecordedEvent } from '@keel/eventsourcing';
import { isSqlError, PositionOutOfRangeError } from '../../errors.js';
import type { SqlExecutor } from '../../client/sqlClient.js';
import { toNumber } from '../../internal/normalize.js';
import type { SqlSchema } from '../../client/identifiers.js';
import { parseAppendOutcome } from './appendToStreamFunction.js';
import type { AppendOutcome } from './appendToStreamFunction.js';
import { parseGroupOutcomes } from './appendToStreamsFunction.js';
import { EVENT_COLUMNS, toRecordedEvent } from './eventRows.js';
import type { EventRow } from './eventRows.js';

/** The SQL of one append call and the name it is prepared under on each connection. */
export interface AppendStatement {
  readonly name: string;
  readonly text: string;
}

/**
 * The append statement of a schema: a call of its `append_to_stream` (migration 103), prepared
 * once per connection under a name of its own (see {@link statementName}).
 */
export function appendStatement(schema: SqlSchema): AppendStatement {
  return {
    name: statementName('keel_append_to_stream', schema),
    text: `SELECT ${schema.quoted}.append_to_stream($1, $2, $3, $4::text[], $5::text[], $6::text[], $7::text[], $8, $9, $10) AS r`,
  };
}

/**
 * The grouped append statement of a schema: a call of its `append_to_streams` in the form of
 * migration 106, which may notify a channel in its own transaction.
 */
export function groupStatement(schema: SqlSchema): AppendStatement {
  return {
    name: statementName('keel_append_to_streams', schema),
    text: `SELECT ${schema.quoted}.append_to_streams($1::text[], $2::text[], $3::bigint[], $4::integer[], $5::bigint[], $6::integer[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text) AS r`,
  };
}

/**
 * `<prefix>_<schema>`; a name too long for PostgreSQL's 63-byte statement names is shortened
 * with a hash of the schema name, so two schemas never share one.
 */
function statementName(prefix: string, schema: SqlSchema): string {
  const full = `${prefix}_${schema.name}`;
  return full.length <= 63 ? full : `${full.slice(0, 54)}_${fnv1a(schema.name)}`;
}

/** A 32-bit FNV-1a hash as 8 hex digits. */
function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index++) {
    hash = Math.imul(hash ^ text.charCodeAt(index), 0x01000193);
  }
  return (hash >>> 0).toString(16).padStart(8, '0');
}

/** What one append sends: the batch already checked and serialized. */
export interface AppendRequest {
  /** The quoted, qualified `events` table. */
  readonly table: string;
  /** The schema's append statement. */
  readonly statement: AppendStatement;
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

/**
 * Runs one append as a single call of the schema's `append_to_stream` function: the id check,
 * the expected-version check, the short position section and the insert, in one round trip.
 * An id already recorded costs one more query to tell an idempotent retry from a duplicate.
 * Outside a transaction the call runs unguarded (no subtransaction); when it clashes with a
 * concurrent append it is asked again, guarded, to learn the outcome (one more round trip).
 */
export async function appendEvents(executor: SqlExecutor, request: AppendRequest): Promise<AppendResult> {
  let answer: AppendOutcome;
  try {
    answer = await callAppend(executor, request, executor.inTransaction);
  } catch (error) {
    if (executor.inTransaction || !isSqlError(error) || error.sqlState !== UNIQUE_VIOLATION) throw error;
    answer = await callAppend(executor, request, true);
  }
  return settleAppend(executor, request, answer);
}

/**
 * The result of an append from what `append_to_stream` answered for it: the appended events, a
 * {@link ConcurrencyError}, or (ids already recorded) the earlier append or a duplicate error.
 */
export function settleAppend(
  executor: SqlExecutor,
  request: AppendRequest,
  answer: AppendOutcome,
): Promise<AppendResult> {
  switch (answer.outcome) {
    case 'appended':
      return Promise.resolve(appended(request, answer.first, answer.version, answer.recordedUs));
    case 'empty':
      return Promise.resolve({
        nextExpectedVersion: answer.version,
        lastPosition: answer.head,
        events: [],
        appended: true,
      });
    case 'conflict':
      return Promise.reject(conflict(request, answer.version, answer.stale));
    case 'recorded':
      return earlierAppend(executor, request, answer.stale);
  }
}

const UNIQUE_VIOLATION = '23505';

/** One call of `append_to_stream`; `guarded` keeps a clash from failing the transaction. */
async function callAppend(
  executor: SqlExecutor,
  request: AppendRequest,
  guarded: boolean,
): Promise<AppendOutcome> {
  const { expected, events } = request;
  const types = new Array<string>(events.length);
  for (let index = 0; index < events.length; index++) types[index] = events[index]!.type;
  try {
    const { rows } = await executor.query<{ r: string }>(
      request.statement.text,
      [
        request.streamName,
        expectedKind(expected),
        typeof expected === 'number' ? expected : null,
        request.ids,
        types,
        request.data,
        request.metadata,
        Math.round(request.now * 1000),
        request.notifyChannel ?? null,
        guarded,
      ],
      { name: request.statement.name },
    );
    const text = rows[0]?.r;
    if (text === undefined) throw new Error('append_to_stream returned no row');
    return parseAppendOutcome(text);
  } catch (error) {
    if (isSqlError(error) && error.sqlState === '2200H') throw new PositionOutOfRangeError({ cause: error });
    throw error;
  }
}

/**
 * Several appends, to different streams and with no event id in common, in one call of
 * `append_to_streams` (one transaction); their outcomes in order. With a `notifyChannel`, the
 * call notifies it in the same transaction when it appends anything. Fails as a whole (nothing
 * committed) on a clash, a long lock wait or a position overflow.
 */
export async function callGroup(
  executor: SqlExecutor,
  statement: AppendStatement,
  requests: readonly AppendRequest[],
  notifyChannel?: string | undefined,
): Promise<AppendOutcome[]> {
  const count = requests.length;
  const streams = new Array<string>(count);
  const kinds = new Array<string>(count);
  const expected = new Array<number | null>(count);
  const counts = new Array<number>(count);
  const nowUs = new Array<number>(count);
  const members: number[] = [];
  const ids: string[] = [];
  const types: string[] = [];
  const data: (string | null)[] = [];
  const metadata: string[] = [];
  for (let index = 0; index < count; index++) {
    const request = requests[index]!;
    streams[index] = request.streamName;
    kinds[index] = expectedKind(request.expected);
    expected[index] = typeof request.expected === 'number' ? request.expected : null;
    counts[index] = request.events.length;
    nowUs[index] = Math.round(request.now * 1000);
    for (let event = 0; event < request.events.length; event++) {
      members.push(index + 1);
      ids.push(request.ids[event]!);
      types.push(request.events[event]!.type);
      data.push(request.data[event] ?? null);
      metadata.push(request.metadata[event]!);
    }
  }
  const { rows } = await executor.query<{ r: string }>(
    statement.text,
    [streams, kinds, expected, counts, nowUs, members, ids, types, data, metadata, notifyChannel ?? null],
    { name: statement.name },
  );
  const text = rows[0]?.r;
  if (text === undefined) throw new Error('append_to_streams returned no row');
  return parseGroupOutcomes(text, count);
}

/** How `append_to_stream` names an expected version's kind. */
function expectedKind(expected: ExpectedVersion): string {
  if (typeof expected === 'number') return 'exact';
  if (expected === NO_STREAM) return 'no_stream';
  if (expected === STREAM_EXISTS) return 'stream_exists';
  return ANY;
}

function appended(
  request: AppendRequest,
  first: number,
  lastVersion: number,
  recordedUs: number,
): AppendResult {
  const recordedAt = new Date(Math.floor(recordedUs / 1000));
  const count = request.events.length;
  const startVersion = lastVersion - count + 1;
  const events = new Array<RecordedEvent>(count);
  for (let index = 0; index < count; index++) {
    events[index] = {
      streamName: request.streamName,
      streamVersion: startVersion + index,
      globalPosition: first + index,
      eventId: request.ids[index]!,
      type: request.events[index]!.type,
      // A parse of the stored JSON: the same value a read returns, never the caller's object.
      data: parseJson(request.data[index] ?? null),
      metadata: JSON.parse(request.metadata[index] ?? '{}') as RecordedEvent['metadata'],
      recordedAt,
    };
  }
  return { nextExpectedVersion: lastVersion, lastPosition: first + count - 1, events, appended: true };
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
  if (earlier === undefined) throw new Error('append_to_stream reported recorded ids that are not there');
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
  const data = new Array<string | null>(events.length);
  const metadata = new Array<string>(events.length);
  for (let index = 0; index < events.length; index++) {
    const event = events[index]!;
    // The descriptions are only built when a value is refused.
    data[index] = toStorableJson(event.data, () => `the data of ${eventOf(streamName, index)}`) ?? null;
    metadata[index] =
      event.metadata === undefined || event.metadata === null
        ? '{}'
        : (toStorableJson(event.metadata, () => `the metadata of ${eventOf(streamName, index)}`) ?? '{}');
  }
  return { data, metadata };
}

function eventOf(streamName: string, index: number): string {
  return `event ${index + 1} of the append to "${streamName}"`;
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
