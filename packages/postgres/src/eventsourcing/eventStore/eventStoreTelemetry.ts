import { isConcurrencyError, recordMetric, telemetryEnabled, TRACEPARENT, withSpan } from '@keel/core';
import type { Attributes, Clock, TelemetrySpan, TraceCarrier } from '@keel/core';
import type { AppendResult, NewEvent, RecordedEvent } from '@keel/eventsourcing';
import {
  DB_OPERATION_DURATION,
  dbAttributes,
  EVENTSTORE_APPENDS,
  EVENTSTORE_CONFLICTS,
  EVENTSTORE_EVENTS_APPENDED,
  errorType,
  MAX_LINKS,
} from '../../internal/telemetry.js';

/** Reads one page of events. */
export type PageReader<TArgs extends unknown[]> = (...args: TArgs) => Promise<RecordedEvent[]>;

/** Which page read a span describes. */
export type ReadOperation = 'read_stream' | 'read_all';

/**
 * The telemetry of one {@link PostgresEventStore}: spans and metrics around appends, page reads
 * and subscription pages. Every method costs one `telemetryEnabled()` check when nothing is
 * installed (the wrapped call then runs as it is).
 */
export class EventStoreTelemetry {
  readonly #namespace: string;
  readonly #clock: Clock;

  /**
   * @param namespace The schema (`db.namespace`).
   * @param clock Times the operations for `db.client.operation.duration`.
   */
  constructor(namespace: string, clock: Clock) {
    this.#namespace = namespace;
    this.#clock = clock;
  }

  /** Runs an append in an `append_to_stream` span and records its outcome. */
  append(
    streamName: string,
    events: readonly NewEvent[],
    expectedVersion: unknown,
    run: () => Promise<AppendResult>,
  ): Promise<AppendResult> {
    if (!telemetryEnabled()) return run();
    const base = dbAttributes(this.#namespace, 'append_to_stream');
    const attributes: Attributes = {
      ...base,
      // Unchecked input yet: a bad value is left out here and refused by the append.
      'keel.stream.name': typeof streamName === 'string' ? streamName : undefined,
      'keel.event.count': Array.isArray(events) ? events.length : undefined,
      'keel.expected_version': expectedAttribute(expectedVersion),
    };
    return withSpan('append_to_stream', { kind: 'client', attributes }, async (span) => {
      const started = this.#clock.now();
      try {
        const result = await run();
        const outcome = !result.appended ? 'recorded' : result.events.length === 0 ? 'empty' : 'appended';
        span.setAttributes({ 'keel.outcome': outcome, 'keel.stream.version': result.nextExpectedVersion });
        this.#appended(base, outcome, outcome === 'appended' ? result.events.length : 0, started);
        return result;
      } catch (error) {
        const conflict = isConcurrencyError(error);
        if (conflict) recordMetric(EVENTSTORE_CONFLICTS, 1, { 'db.namespace': this.#namespace });
        span.setAttributes({ 'keel.outcome': conflict ? 'conflict' : 'error' });
        this.#appended(base, conflict ? 'conflict' : 'error', 0, started, { error });
        throw error;
      }
    });
  }

  /** Wraps a page reader of `readStream` / `readAll` so each page is a span. */
  pages<TArgs extends unknown[]>(
    operation: ReadOperation,
    streamName: string | undefined,
    read: PageReader<TArgs>,
  ): PageReader<TArgs> {
    return (...args) => {
      if (!telemetryEnabled()) return read(...args);
      const attributes = { ...dbAttributes(this.#namespace, operation), 'keel.stream.name': streamName };
      return withSpan(operation, { kind: 'client', attributes }, (span) =>
        this.#timed(operation, span, () => read(...args)),
      );
    };
  }

  /**
   * Wraps the page reader of a subscription: each query's duration is recorded, and a page with
   * events becomes a `receive <target>` span linked to the trace of each event. An empty poll
   * makes no span, so an idle subscription does not flood the traces.
   */
  subscriptionPages<TArgs extends unknown[]>(
    operation: ReadOperation,
    streamName: string | undefined,
    read: PageReader<TArgs>,
  ): PageReader<TArgs> {
    return async (...args) => {
      if (!telemetryEnabled()) return read(...args);
      const events = await this.#timed(operation, undefined, () => read(...args));
      if (events.length > 0) this.#received(streamName, events);
      return events;
    };
  }

  /** Runs one inline projection in a `project <name>` span. */
  project<TResult>(name: string, run: () => TResult): TResult {
    if (!telemetryEnabled()) return run();
    return withSpan(`project ${name}`, { attributes: { 'keel.projection.name': name } }, run);
  }

  async #timed(
    operation: ReadOperation,
    span: TelemetrySpan | undefined,
    read: () => Promise<RecordedEvent[]>,
  ): Promise<RecordedEvent[]> {
    const started = this.#clock.now();
    const attributes = dbAttributes(this.#namespace, operation);
    try {
      const events = await read();
      span?.setAttributes({ 'keel.event.count': events.length });
      this.#duration(attributes, started);
      return events;
    } catch (error) {
      this.#duration({ ...attributes, 'error.type': errorType(error) }, started);
      throw error;
    }
  }

  #received(streamName: string | undefined, events: readonly RecordedEvent[]): void {
    const first = events[0]!;
    const last = events[events.length - 1]!;
    const attributes: Attributes = {
      'db.system.name': 'postgresql',
      'db.namespace': this.#namespace,
      'messaging.system': 'keel',
      'messaging.operation.type': 'receive',
      'messaging.destination.name': streamName ?? '$all',
      'messaging.batch.message_count': events.length,
      'keel.stream.name': streamName,
      'keel.event.count': events.length,
      'keel.position.first': streamName === undefined ? first.globalPosition : first.streamVersion,
      'keel.position.last': streamName === undefined ? last.globalPosition : last.streamVersion,
    };
    const links = linksOf(events);
    const name = streamName === undefined ? 'receive $all' : 'receive $stream';
    withSpan(name, { kind: 'consumer', attributes, links }, () => undefined);
  }

  #appended(
    base: Attributes,
    outcome: string,
    count: number,
    started: number,
    failure?: { readonly error: unknown },
  ): void {
    const namespace = this.#namespace;
    recordMetric(EVENTSTORE_APPENDS, 1, { 'db.namespace': namespace, 'keel.outcome': outcome });
    if (count > 0) recordMetric(EVENTSTORE_EVENTS_APPENDED, count, { 'db.namespace': namespace });
    this.#duration(
      failure === undefined ? base : { ...base, 'error.type': errorType(failure.error) },
      started,
    );
  }

  #duration(attributes: Attributes, started: number): void {
    recordMetric(DB_OPERATION_DURATION, Math.max(0, this.#clock.now() - started) / 1000, attributes);
  }
}

/** `keel.expected_version`: the number or sentinel, `any` when unset, nothing when invalid. */
function expectedAttribute(expected: unknown): string | number | undefined {
  if (expected === undefined) return 'any';
  return typeof expected === 'number' || typeof expected === 'string' ? expected : undefined;
}

/** The distinct trace contexts the events were written in (their `metadata.headers`). */
function linksOf(events: readonly RecordedEvent[]): TraceCarrier[] {
  const links = new Map<string, TraceCarrier>();
  for (const event of events) {
    const headers = (event.metadata as { headers?: Record<string, unknown> } | undefined)?.headers;
    const traceparent = headers?.[TRACEPARENT];
    if (typeof traceparent === 'string' && !links.has(traceparent)) {
      links.set(traceparent, headers as TraceCarrier);
      if (links.size >= MAX_LINKS) break;
    }
  }
  return [...links.values()];
}
