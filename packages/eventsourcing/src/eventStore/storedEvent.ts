import { toStorableJson } from '@keel/core';
import type { EventMetadata, NewEvent, RecordedEvent } from './recordedEvent.js';

/**
 * An event as the in-memory store keeps it: data and metadata as the JSON text a SQL store
 * would hold, so every read hands out a fresh copy shaped exactly as PostgreSQL returns it.
 */
export interface StoredEvent {
  readonly streamName: string;
  readonly streamVersion: number;
  readonly globalPosition: number;
  readonly eventId: string;
  readonly type: string;
  readonly data: string | undefined;
  readonly metadata: string;
  readonly recordedAt: number;
}

/** The JSON text of one event's data and metadata, before it has a place in the log. */
export interface SerializedEvent {
  readonly type: string;
  readonly data: string | undefined;
  readonly metadata: string;
}

/**
 * Serializes the events of an append with core's storable-JSON rules, naming each value as
 * the PostgreSQL store does.
 *
 * @throws SerializationError (from `@keel/core`) when a value cannot be stored.
 */
export function serializeEvents(streamName: string, events: readonly NewEvent[]): SerializedEvent[] {
  const what = (index: number): string => `event ${index + 1} of the append to "${streamName}"`;
  return events.map((event, index) => ({
    type: event.type,
    data: toStorableJson(event.data, `the data of ${what(index)}`),
    metadata: toStorableJson(event.metadata ?? {}, `the metadata of ${what(index)}`) ?? '{}',
  }));
}

/** A fresh {@link RecordedEvent} from a stored one (new data, metadata and date objects). */
export function toRecordedEvent(stored: StoredEvent): RecordedEvent {
  return {
    streamName: stored.streamName,
    streamVersion: stored.streamVersion,
    globalPosition: stored.globalPosition,
    eventId: stored.eventId,
    type: stored.type,
    data: stored.data === undefined ? undefined : JSON.parse(stored.data),
    metadata: JSON.parse(stored.metadata) as EventMetadata,
    recordedAt: new Date(stored.recordedAt),
  };
}
