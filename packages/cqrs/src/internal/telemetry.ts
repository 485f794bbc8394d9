import {
  defineMetric,
  recordMetric,
  traceHeaders,
  withSpan,
  errorTypeOf,
  DURATION_BUCKETS,
} from '@keel/core';
import type { Attributes, Clock, Message, SpanKind, TelemetrySpan } from '@keel/core';
import type { MessageKind } from '../errors/errors.js';

/*
 * Every span and metric of @keel/cqrs, in one place.
 *
 * Spans (messaging.system "keel"):
 * - `send {type}` (producer) per command, `query {type}` (producer) per query: the whole
 *   dispatch; each middleware step is a span event `middleware {name}` on it.
 *   Child: `handle {type}` (consumer) around the handler call.
 * - `publish {type}` (producer) per `EventBus.publish` (`publish events` for a mix of types).
 *   Child per event: `process {type}` (consumer), the event's middleware as span events.
 *   Child per handler: `handle {type} ({handler})` (internal); a failing handler is a failed
 *   child while the others succeed.
 * - A delivery with no active span (an event consumed from a transport) continues the trace of
 *   the message's `metadata.headers.traceparent`.
 *
 * Metrics:
 * - `keel.bus.messages` {message}: dispatches (commands, queries, event deliveries) by
 *   `keel.bus`, `keel.message.type`, `keel.outcome` (success|failure), `error.type`.
 * - `keel.bus.duration` s: their duration, same attributes.
 * - `messaging.process.duration` s: each handler call, by bus, type, handler, `error.type`.
 * - `messaging.client.sent.messages` {message}: events published, by type and `error.type`.
 * - `keel.idempotency.duplicates` {message}: messages the idempotency middleware answered
 *   without running the handler, by bus, type and `keel.idempotency.source` (stored|in_flight).
 */

/** Dispatches on a bus. */
export const BUS_MESSAGES = defineMetric({
  name: 'keel.bus.messages',
  kind: 'counter',
  unit: '{message}',
  description: 'Commands, queries and event deliveries dispatched on Keel buses, by outcome.',
});

/** Duration of a dispatch (middleware and handlers). */
export const BUS_DURATION = defineMetric({
  name: 'keel.bus.duration',
  kind: 'histogram',
  unit: 's',
  description: 'How long a command, query or event delivery took on a Keel bus, middleware included.',
  buckets: DURATION_BUCKETS,
});

/** Duration of one handler call. */
export const PROCESS_DURATION = defineMetric({
  name: 'messaging.process.duration',
  kind: 'histogram',
  unit: 's',
  description: 'How long a handler took to process a message.',
  buckets: DURATION_BUCKETS,
});

/** Events published. */
export const SENT_MESSAGES = defineMetric({
  name: 'messaging.client.sent.messages',
  kind: 'counter',
  unit: '{message}',
  description: 'Events published on a Keel event bus (to its handlers or its transport).',
});

/** Messages answered by the idempotency middleware without running the handler. */
export const IDEMPOTENT_DUPLICATES = defineMetric({
  name: 'keel.idempotency.duplicates',
  kind: 'counter',
  unit: '{message}',
  description: 'Repeated messages the idempotency middleware answered without running a handler.',
});

/** `error.type` of a failure (core's {@link errorTypeOf}). */
export { errorTypeOf };

function messageAttributes(
  kind: MessageKind,
  message: Message,
  operation: 'send' | 'process',
  name: string,
): Attributes {
  return {
    'messaging.system': 'keel',
    'messaging.operation.type': operation,
    'messaging.operation.name': name,
    'messaging.destination.name': message.type,
    'messaging.message.id': message.metadata.messageId,
    'messaging.message.conversation_id': message.metadata.correlationId,
    'keel.bus': kind,
    'keel.message.type': message.type,
    'keel.causation_id': message.metadata.causationId,
  };
}

const DISPATCH = {
  command: { verb: 'send', spanKind: 'producer', operation: 'send' },
  query: { verb: 'query', spanKind: 'producer', operation: 'send' },
  event: { verb: 'process', spanKind: 'consumer', operation: 'process' },
} as const;

/** Starts `start()`, records outcome metrics once it settles, and returns its promise unchanged. */
function measured<T>(
  start: () => Promise<T>,
  clock: Clock,
  record: (seconds: number, error: unknown, failed: boolean) => void,
): Promise<T> {
  const started = clock.now();
  return start().then(
    (value) => {
      record((clock.now() - started) / 1000, undefined, false);
      return value;
    },
    (error: unknown) => {
      record((clock.now() - started) / 1000, error, true);
      throw error;
    },
  );
}

/**
 * Runs one dispatch (a command, a query, or one event's delivery to all its handlers) in its
 * span, continuing the message's trace when no span is active, and records bus metrics.
 * Call only when telemetry is enabled.
 */
export function traceDispatch<T>(
  kind: MessageKind,
  message: Message,
  clock: Clock,
  run: (span: TelemetrySpan) => Promise<T>,
): Promise<T> {
  const { verb, spanKind, operation } = DISPATCH[kind];
  const options = {
    kind: spanKind as SpanKind,
    attributes: messageAttributes(kind, message, operation, verb),
    parent: message.metadata.headers,
  };
  const name = `${verb} ${message.type}`;
  return measured(
    () => withSpan(name, options, run),
    clock,
    (seconds, error, failed) => {
      const attributes = {
        'keel.bus': kind,
        'keel.message.type': message.type,
        'keel.outcome': failed ? 'failure' : 'success',
        'error.type': failed ? errorTypeOf(error) : undefined,
      };
      recordMetric(BUS_MESSAGES, 1, attributes);
      recordMetric(BUS_DURATION, seconds, attributes);
    },
  );
}

/**
 * Runs one handler call in its span (`handle {type}`, or `handle {type} ({handler})` on the
 * event bus) and records `messaging.process.duration`. Call only when telemetry is enabled.
 */
export function traceHandler<T>(
  kind: MessageKind,
  message: Message,
  handler: string | undefined,
  clock: Clock,
  run: (span: TelemetrySpan) => Promise<T>,
): Promise<T> {
  const name = handler === undefined ? `handle ${message.type}` : `handle ${message.type} (${handler})`;
  const attributes = {
    ...messageAttributes(kind, message, 'process', 'handle'),
    'keel.handler.name': handler,
  };
  const options = { kind: (kind === 'event' ? 'internal' : 'consumer') as SpanKind, attributes };
  return measured(
    () => withSpan(name, options, run),
    clock,
    (seconds, error, failed) => {
      recordMetric(PROCESS_DURATION, seconds, {
        'messaging.system': 'keel',
        'messaging.operation.name': 'handle',
        'keel.bus': kind,
        'keel.message.type': message.type,
        'keel.handler.name': handler,
        'error.type': failed ? errorTypeOf(error) : undefined,
      });
    },
  );
}

/**
 * Runs one `EventBus.publish` in a `publish` span. Through a transport, each event's headers
 * get the publish span's trace context, so the consumer's spans join this trace.
 * Call only when telemetry is enabled.
 */
export function tracePublish<T>(
  events: readonly Message[],
  viaTransport: boolean,
  run: (events: readonly Message[]) => Promise<T>,
): Promise<T> {
  const first = events[0]!;
  const type = events.every((event) => event.type === first.type) ? first.type : undefined;
  const attributes: Attributes = {
    'messaging.system': 'keel',
    'messaging.operation.type': 'send',
    'messaging.operation.name': 'publish',
    'messaging.destination.name': type,
    'messaging.batch.message_count': events.length > 1 ? events.length : undefined,
    'messaging.message.id': events.length === 1 ? first.metadata.messageId : undefined,
    'messaging.message.conversation_id': first.metadata.correlationId,
    'keel.bus': 'event',
    'keel.message.type': type,
  };
  const options = { kind: 'producer' as const, attributes, parent: first.metadata.headers };
  const published = withSpan(`publish ${type ?? 'events'}`, options, () =>
    run(viaTransport ? events.map(withTraceHeaders) : events),
  );
  return published.then(
    (value) => {
      for (const event of events) recordMetric(SENT_MESSAGES, 1, sentAttributes(event, undefined));
      return value;
    },
    (error: unknown) => {
      for (const event of events) recordMetric(SENT_MESSAGES, 1, sentAttributes(event, error));
      throw error;
    },
  );
}

function sentAttributes(event: Message, error: unknown): Attributes {
  return {
    'messaging.system': 'keel',
    'messaging.operation.name': 'publish',
    'keel.message.type': event.type,
    'error.type': error === undefined ? undefined : errorTypeOf(error),
  };
}

/** `event` with the active span's trace context in its headers (a copy; messages are frozen). */
function withTraceHeaders(event: Message): Message {
  const trace = traceHeaders(event.metadata.headers);
  const headers = Object.freeze({ ...event.metadata.headers, ...trace });
  return Object.freeze({ ...event, metadata: Object.freeze({ ...event.metadata, headers }) });
}

/**
 * Notes a message the idempotency middleware answered without running the handler: a span
 * event on `span` and a `keel.idempotency.duplicates` count. `span` is `undefined` when
 * telemetry is off, and then nothing happens.
 */
export function noteDuplicate(
  span: TelemetrySpan | undefined,
  kind: MessageKind,
  message: Message,
  source: 'stored' | 'in_flight',
): void {
  if (span === undefined) return;
  const attributes = {
    'keel.bus': kind,
    'keel.message.type': message.type,
    'keel.idempotency.source': source,
  };
  span.addEvent('idempotency duplicate', attributes);
  recordMetric(IDEMPOTENT_DUPLICATES, 1, attributes);
}
