import { ConcurrencyError, throwIfAborted } from '@keel/core';
import { DuplicateEventError, matchesExpectedVersion, NO_STREAM } from '@keel/eventsourcing';
import type {
  AppendResult,
  ExpectedVersion,
  InlineProjection,
  NewEvent,
  RecordedEvent,
} from '@keel/eventsourcing';
import type { SqlTransaction } from '../client/sqlClient.js';
import { toJsonParam } from '../internal/json.js';
import { toNumber } from '../internal/normalize.js';
import { EVENT_COLUMNS, toRecordedEvent } from './eventRows.js';
import type { EventRow } from './eventRows.js';

/** What one append needs besides the transaction. */
export interface AppendRequest {
  readonly table: string;
  readonly lockKey: string;
  readonly channel: string | undefined;
  readonly streamName: string;
  readonly events: readonly NewEvent[];
  readonly ids: readonly string[];
  readonly expected: ExpectedVersion;
  readonly recordedAt: Date;
  readonly inline: readonly InlineProjection<SqlTransaction>[];
  readonly signal: AbortSignal;
}

/**
 * The body of an append transaction. It first takes a transaction-level advisory lock that
 * every append of the store takes, so appends draw global positions one after another and
 * each commits before the next draws: a reader never sees position N + 1 before N.
 */
export async function appendEvents(tx: SqlTransaction, request: AppendRequest): Promise<AppendResult> {
  await tx.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [request.lockKey]);
  const retry = await idempotentRetry(tx, request);
  if (retry !== undefined) return retry;
  const version = await streamVersionIn(tx, request.table, request.streamName);
  if (!matchesExpectedVersion(request.expected, version)) {
    throw new ConcurrencyError({
      subject: request.streamName,
      expected: request.expected,
      actual: version === 0 ? NO_STREAM : version,
    });
  }
  if (request.events.length === 0) {
    const { rows } = await tx.query<{ head: unknown }>(
      `SELECT coalesce(max(global_position), 0) AS head FROM ${request.table}`,
    );
    return {
      nextExpectedVersion: version,
      lastPosition: toNumber(rows[0]?.head ?? 0),
      events: [],
      appended: true,
    };
  }
  const recorded = await insertEvents(tx, request, version);
  if (request.channel !== undefined) await tx.query('SELECT pg_notify($1, $2)', [request.channel, '']);
  for (const projection of request.inline) {
    throwIfAborted(request.signal);
    await projection.apply(recorded, { transaction: tx, signal: request.signal });
  }
  const last = recorded[recorded.length - 1]!;
  return {
    nextExpectedVersion: last.streamVersion,
    lastPosition: last.globalPosition,
    events: recorded,
    appended: true,
  };
}

/** The current version of a stream (0 when it has no events). */
export async function streamVersionIn(
  tx: { query: SqlTransaction['query'] },
  table: string,
  streamName: string,
): Promise<number> {
  const { rows } = await tx.query<{ version: unknown }>(
    `SELECT coalesce(max(stream_version), 0) AS version FROM ${table} WHERE stream_name = $1`,
    [streamName],
  );
  return toNumber(rows[0]?.version ?? 0);
}

/**
 * When some ids of the batch are already recorded: the earlier result if the whole batch sits,
 * in order, where this append targets (a retry); otherwise a {@link DuplicateEventError}.
 */
async function idempotentRetry(
  tx: SqlTransaction,
  request: AppendRequest,
): Promise<AppendResult | undefined> {
  checkUniqueIds(request);
  if (request.ids.length === 0) return undefined;
  const { rows } = await tx.query<EventRow>(
    `SELECT ${EVENT_COLUMNS} FROM ${request.table} WHERE event_id = ANY($1::text[]) ORDER BY global_position`,
    [[...request.ids]],
  );
  if (rows.length === 0) return undefined;
  const earlier = rows.map(toRecordedEvent);
  const start = earlier[0]!.streamVersion;
  const expectedStart =
    typeof request.expected === 'number' ? request.expected + 1 : request.expected === NO_STREAM ? 1 : start;
  const isRetry =
    earlier.length === request.ids.length &&
    earlier.every(
      (event, index) =>
        event.streamName === request.streamName &&
        event.eventId === request.ids[index] &&
        event.streamVersion === expectedStart + index,
    );
  if (!isRetry) {
    const clash = earlier[0]!;
    throw new DuplicateEventError(clash.eventId, clash.streamName, clash.streamVersion);
  }
  const last = earlier[earlier.length - 1]!;
  return {
    nextExpectedVersion: last.streamVersion,
    lastPosition: last.globalPosition,
    events: earlier,
    appended: false,
  };
}

function checkUniqueIds(request: AppendRequest): void {
  const seen = new Set<string>();
  request.ids.forEach((id, index) => {
    if (seen.has(id)) throw new DuplicateEventError(id, request.streamName, index + 1);
    seen.add(id);
  });
}

async function insertEvents(
  tx: SqlTransaction,
  request: AppendRequest,
  version: number,
): Promise<RecordedEvent[]> {
  const { events, streamName } = request;
  const what = (index: number): string => `event ${index + 1} of the append to "${streamName}"`;
  const { rows } = await tx.query<EventRow>(
    `INSERT INTO ${request.table} (stream_name, stream_version, event_id, event_type, data, metadata, recorded_at)
     SELECT $1, $2::bigint + u.ord, u.id, u.type, u.data::jsonb, u.metadata::jsonb, $7::timestamptz
     FROM unnest($3::text[], $4::text[], $5::text[], $6::text[]) WITH ORDINALITY AS u(id, type, data, metadata, ord)
     ORDER BY u.ord
     RETURNING ${EVENT_COLUMNS}`,
    [
      streamName,
      version,
      [...request.ids],
      events.map((event) => event.type),
      events.map((event, index) => toJsonParam(event.data, `the data of ${what(index)}`)),
      events.map((event, index) => toJsonParam(event.metadata ?? {}, `the metadata of ${what(index)}`)),
      request.recordedAt.toISOString(),
    ],
  );
  return rows.map(toRecordedEvent).sort((a, b) => a.streamVersion - b.streamVersion);
}
