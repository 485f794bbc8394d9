import type { Metadata } from '@keel/core';
import type { AnyAggregateRoot } from '@keel/ddd';
import type { NewEvent, RecordedEvent } from '../eventStore/recordedEvent.js';

/** An aggregate's raised event as the event store appends it (its message id becomes the event id). */
export function toNewEvent(event: { type: string; data: unknown; metadata: Metadata }): NewEvent {
  return { type: event.type, data: event.data, eventId: event.metadata.messageId, metadata: event.metadata };
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
