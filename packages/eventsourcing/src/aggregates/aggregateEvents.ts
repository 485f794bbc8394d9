import type { AggregateRef, Metadata } from '@keel/core';
import type { AggregateEvent, AnyAggregateRoot } from '@keel/ddd';
import type { NewEvent, RecordedEvent } from '../eventStore/recordedEvent.js';

/** An aggregate's raised event as the event store appends it (its message id becomes the event id). */
export function toNewEvent(event: { type: string; data: unknown; metadata: Metadata }): NewEvent {
  return { type: event.type, data: event.data, eventId: event.metadata.messageId, metadata: event.metadata };
}

/**
 * The event with `metadata.aggregate` naming the stream it is saved to: the same event when it
 * already does (the default stream name), else a frozen copy (a custom `streamName`, or an event
 * raised by an older `@keel/ddd` without the reference).
 */
export function inStream<TEvent extends AggregateEvent>(event: TEvent, streamName: string): TEvent {
  const current = event.metadata.aggregate;
  if (current?.stream === streamName && current.version === event.version) return event;
  const aggregate: AggregateRef = Object.freeze({
    type: event.aggregateType,
    id: event.aggregateId,
    stream: streamName,
    version: event.version,
  });
  return Object.freeze({ ...event, metadata: Object.freeze({ ...event.metadata, aggregate }) });
}

/** A stored event as the aggregate replays it: its metadata completed, its identity and version set. */
export function toAggregateEvent(event: RecordedEvent, aggregate: AnyAggregateRoot) {
  const stored = event.metadata as Partial<Metadata>;
  const metadata: Metadata = {
    ...stored,
    messageId: event.eventId,
    correlationId: typeof stored.correlationId === 'string' ? stored.correlationId : event.eventId,
    occurredAt: typeof stored.occurredAt === 'string' ? stored.occurredAt : event.recordedAt.toISOString(),
    headers: stored.headers ?? {},
    aggregate: {
      type: aggregate.aggregateType,
      id: aggregate.idString,
      stream: event.streamName,
      version: event.streamVersion,
    },
  };
  return {
    type: event.type,
    data: event.data,
    metadata,
    aggregateId: aggregate.idString,
    aggregateType: aggregate.aggregateType,
    version: event.streamVersion,
  };
}
