import {
  defineMetric,
  isConcurrencyError,
  recordMetric,
  TRACEPARENT,
  withSpan,
  errorTypeOf,
  DURATION_BUCKETS,
} from '@keel/core';
import type { Attributes, TraceCarrier } from '@keel/core';
import type { AppendResult } from '../eventStore/eventStore.js';
import type { RecordedEvent } from '../eventStore/recordedEvent.js';

/*
 * Every span and metric of @keel/eventsourcing, in one place. Names match what
 * @keel/postgres reports for its event store, so dashboards work on either store.
 *
 * Spans
 * - `append_to_stream` per InMemoryEventStore append (keel.stream.name, keel.event.count,
 *   keel.expected_version, keel.outcome, keel.stream.version; a conflict fails it with
 *   error.type = the ConcurrencyError code).
 * - `read_stream` / `read_all` per page an InMemoryEventStore read fetches.
 * - `load {aggregateType}` / `save {aggregateType}` per EventSourcedRepository find/save.
 * - `decide {command type}` per Decider command handler call; version-conflict retries are
 *   span events `retry`.
 * - `projection {name}` per ProjectionRunner batch (linked to each event's trace), with span
 *   events for a batch split into single events, dead letters and skipped events;
 *   `rebuild {name}` around a rebuild.
 *
 * Metrics
 * - `keel.eventstore.appends` {append} by keel.outcome (appended|recorded|empty|conflict|error).
 * - `keel.eventstore.events.appended` {event}; `keel.eventstore.conflicts` {conflict}.
 * - `keel.projection.events` {event} by keel.projection.name and keel.outcome
 *   (processed|skipped|failed); `keel.projection.dead_letters` {event}.
 * - `keel.projection.lag` {event} gauge: the store's head position minus the checkpoint.
 * - `keel.projection.batch.duration` s; `keel.projection.rebuild.progress` 1 (0..1) gauge.
 */

/** The most links a projection batch span carries. */
const MAX_LINKS = 128;

/** Appends by outcome. */
export const EVENTSTORE_APPENDS = defineMetric({
  name: 'keel.eventstore.appends',
  kind: 'counter',
  unit: '{append}',
  description: 'Calls of appendToStream, by outcome.',
});

/** Events newly written by appends. */
export const EVENTSTORE_EVENTS_APPENDED = defineMetric({
  name: 'keel.eventstore.events.appended',
  kind: 'counter',
  unit: '{event}',
  description: 'Events written by appendToStream.',
});

/** Appends refused for a version conflict. */
export const EVENTSTORE_CONFLICTS = defineMetric({
  name: 'keel.eventstore.conflicts',
  kind: 'counter',
  unit: '{conflict}',
  description: 'Appends refused with a ConcurrencyError (version conflicts).',
});

/**
 * The event-store metrics every `EventStore` implementation records, so dashboards read the same
 * names whatever store is behind them.
 */
export const EVENT_STORE_METRICS = Object.freeze({
  appends: EVENTSTORE_APPENDS,
  eventsAppended: EVENTSTORE_EVENTS_APPENDED,
  conflicts: EVENTSTORE_CONFLICTS,
});

/** Events a projection handled, skipped or failed on. */
export const PROJECTION_EVENTS = defineMetric({
  name: 'keel.projection.events',
  kind: 'counter',
  unit: '{event}',
  description: 'Events a projection runner handled, by outcome.',
});

/** Events a projection dead-lettered. */
export const PROJECTION_DEAD_LETTERS = defineMetric({
  name: 'keel.projection.dead_letters',
  kind: 'counter',
  unit: '{event}',
  description: 'Events a projection runner put in its dead-letter store.',
});

/** How far a projection is behind the store's head. */
export const PROJECTION_LAG = defineMetric({
  name: 'keel.projection.lag',
  kind: 'gauge',
  unit: '{event}',
  description: "The event store's head position minus the projection's checkpoint.",
});

/** How long one projection batch took (handlers and checkpoint). */
export const PROJECTION_BATCH_DURATION = defineMetric({
  name: 'keel.projection.batch.duration',
  kind: 'histogram',
  unit: 's',
  description: 'How long a projection runner took to handle and checkpoint one batch.',
  buckets: DURATION_BUCKETS,
});

/** How far a rebuild is, from 0 to 1. */
export const PROJECTION_REBUILD_PROGRESS = defineMetric({
  name: 'keel.projection.rebuild.progress',
  kind: 'gauge',
  unit: '1',
  description: 'The share of the events up to the head a projection rebuild has handled.',
});

/** `error.type` of a failure (core's {@link errorTypeOf}). */
export { errorTypeOf };

/** `keel.expected_version`: the number or sentinel, `any` when unset, nothing when invalid. */
function expectedAttribute(expected: unknown): string | number | undefined {
  if (expected === undefined) return 'any';
  return typeof expected === 'number' || typeof expected === 'string' ? expected : undefined;
}

/**
 * Runs an append in an `append_to_stream` span and records its outcome. Call only when
 * telemetry is enabled.
 */
export function traceAppend(
  streamName: string,
  events: unknown,
  expectedVersion: unknown,
  run: () => Promise<AppendResult>,
): Promise<AppendResult> {
  const attributes: Attributes = {
    'keel.stream.name': streamName,
    'keel.event.count': Array.isArray(events) ? events.length : undefined,
    'keel.expected_version': expectedAttribute(expectedVersion),
  };
  return withSpan('append_to_stream', { attributes }, async (span) => {
    try {
      const result = await run();
      const outcome = !result.appended ? 'recorded' : result.events.length === 0 ? 'empty' : 'appended';
      span.setAttributes({
        'keel.outcome': outcome,
        'keel.stream.version': result.nextExpectedVersion,
        'keel.position': result.events.length > 0 ? result.lastPosition : undefined,
      });
      recordMetric(EVENTSTORE_APPENDS, 1, { 'keel.outcome': outcome });
      if (outcome === 'appended') recordMetric(EVENTSTORE_EVENTS_APPENDED, result.events.length);
      return result;
    } catch (error) {
      const outcome = isConcurrencyError(error) ? 'conflict' : 'error';
      span.setAttributes({ 'keel.outcome': outcome });
      recordMetric(EVENTSTORE_APPENDS, 1, { 'keel.outcome': outcome, 'error.type': errorTypeOf(error) });
      if (outcome === 'conflict') recordMetric(EVENTSTORE_CONFLICTS, 1);
      throw error;
    }
  });
}

/**
 * Wraps a page fetch of a read so each page is a `read_stream` / `read_all` span. Call only
 * when telemetry is enabled.
 */
export function tracePage(
  operation: 'read_stream' | 'read_all',
  attributes: Attributes,
  fetch: () => RecordedEvent[],
): RecordedEvent[] {
  return withSpan(operation, { attributes }, (span) => {
    const page = fetch();
    span.setAttributes({ 'keel.event.count': page.length });
    return page;
  });
}

/** The distinct trace contexts `events` were written in, at most {@link MAX_LINKS}. */
export function linksOf(events: readonly RecordedEvent[]): TraceCarrier[] {
  const seen = new Set<string>();
  const links: TraceCarrier[] = [];
  for (const event of events) {
    const headers = (event.metadata as { headers?: unknown }).headers;
    const traceparent = isCarrier(headers) ? headers[TRACEPARENT] : undefined;
    if (typeof traceparent !== 'string' || seen.has(traceparent)) continue;
    seen.add(traceparent);
    links.push({ [TRACEPARENT]: traceparent });
    if (links.length === MAX_LINKS) break;
  }
  return links;
}

function isCarrier(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
