import { defineMetric, DURATION_BUCKETS, errorTypeOf } from '@keel/core';
import { EVENT_STORE_METRICS } from '@keel/eventsourcing';

export { DURATION_BUCKETS };

/** The event-store metrics, shared with every other EventStore implementation. */
export const {
  appends: EVENTSTORE_APPENDS,
  eventsAppended: EVENTSTORE_EVENTS_APPENDED,
  conflicts: EVENTSTORE_CONFLICTS,
} = EVENT_STORE_METRICS;

// Every span and metric @keel/postgres reports, through @keel/core's telemetry points.
//
// Spans
// - `append_to_stream` (client): one per PostgresEventStore.appendToStream.
// - `read_stream` / `read_all` (client): one per page a readStream / readAll call reads.
// - `receive <stream name | $all>` (consumer): one per non-empty page a subscription reads,
//   linked to the trace of each event in it (up to MAX_LINKS).
// - `project <name>` (internal): one per inline projection applied in an append's transaction.
// - `create <topic>` (producer): one per PostgresOutbox.enqueue; stored messages carry its trace context.
// - `publish <topic>` (producer): one per message an OutboxRelay publishes, continuing the stored context.
// - `inbox <consumer>` (consumer): one per PostgresInbox.handle, continuing the message's context.

/** How long each database operation of the event store took (append, page read). */
export const DB_OPERATION_DURATION = defineMetric({
  name: 'db.client.operation.duration',
  kind: 'histogram',
  unit: 's',
  description: 'Duration of PostgreSQL event store operations.',
  buckets: DURATION_BUCKETS,
});

/** Outbox messages waiting to be published, per topic. */
export const OUTBOX_BACKLOG = defineMetric({
  name: 'keel.outbox.backlog',
  kind: 'gauge',
  unit: '{message}',
  description: 'Outbox messages pending publication (not dispatched, not failed).',
});

/** Age of the oldest pending outbox message, per topic (0 when none is pending). */
export const OUTBOX_OLDEST_AGE = defineMetric({
  name: 'keel.outbox.oldest_age',
  kind: 'gauge',
  unit: 's',
  description: 'Seconds since the oldest pending outbox message was enqueued.',
});

/** Outbox messages handled by relays, by outcome (`published`, `retried`, `failed`). */
export const OUTBOX_MESSAGES = defineMetric({
  name: 'keel.outbox.messages',
  kind: 'counter',
  unit: '{message}',
  description: 'Outbox messages a relay published, will retry, or gave up on.',
});

/** Messages an inbox skipped because its consumer had processed them already. */
export const INBOX_DUPLICATES = defineMetric({
  name: 'keel.inbox.duplicates',
  kind: 'counter',
  unit: '{message}',
  description: 'Redelivered messages an inbox skipped.',
});

/** The most links a receive span carries (one per event with a trace context). */
export const MAX_LINKS = 128;

/** The database attributes every event-store span and duration point carries. */
export function dbAttributes(namespace: string, operation: string): Record<string, string> {
  return {
    'db.system.name': 'postgresql',
    'db.namespace': namespace,
    'db.operation.name': operation,
    'db.collection.name': 'events',
  };
}

/** `error.type` of a failure (core's {@link errorTypeOf}). */
export const errorType = errorTypeOf;
