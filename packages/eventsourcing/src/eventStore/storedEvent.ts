import { toStorableJson } from '@keel/core';
import type { EventMetadata, NewEvent, RecordedEvent } from './recordedEvent.js';

/**
 * An event as the in-memory store keeps it: data and metadata as `JSON.parse` gives back the
 * JSON text a SQL store would hold (see {@link storedEventOf}), never handed out: every read gets
 * a fresh copy (see {@link toRecordedEvent}), shaped exactly as PostgreSQL returns it.
 */
export interface StoredEvent {
  readonly streamName: string;
  readonly streamVersion: number;
  readonly globalPosition: number;
  readonly eventId: string;
  readonly type: string;
  readonly data: unknown;
  readonly metadata: EventMetadata;
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

/** The event as the store keeps it, its JSON text parsed once. */
export function storedEventOf(
  event: SerializedEvent,
  place: Pick<StoredEvent, 'streamName' | 'streamVersion' | 'globalPosition' | 'eventId' | 'recordedAt'>,
): StoredEvent {
  return {
    streamName: place.streamName,
    streamVersion: place.streamVersion,
    globalPosition: place.globalPosition,
    eventId: place.eventId,
    type: event.type,
    data: event.data === undefined ? undefined : JSON.parse(event.data),
    metadata: JSON.parse(event.metadata) as EventMetadata,
    recordedAt: place.recordedAt,
  };
}

/**
 * A fresh {@link RecordedEvent} from a stored one: new data, metadata and date objects, equal
 * to parsing the stored JSON text again. Copying the parsed values costs a read a fraction of a
 * parse (a replay of a long stream spent most of its time in `JSON.parse`).
 */
export function toRecordedEvent(stored: StoredEvent): RecordedEvent {
  return {
    streamName: stored.streamName,
    streamVersion: stored.streamVersion,
    globalPosition: stored.globalPosition,
    eventId: stored.eventId,
    type: stored.type,
    data: copyOfParsedJson(stored.data),
    metadata: copyOfParsedJson(stored.metadata) as EventMetadata,
    recordedAt: new Date(stored.recordedAt),
  };
}

/**
 * A deep copy of a value as `JSON.parse` returns it (plain objects, arrays, strings, numbers,
 * booleans, `null`), equal to what parsing its JSON text again would give, keys in the same
 * order. `undefined` (no value stored) stays `undefined`.
 */
function copyOfParsedJson(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) {
    const copy = new Array<unknown>(value.length);
    for (let index = 0; index < value.length; index++) copy[index] = copyOfParsedJson(value[index]);
    return copy;
  }
  const source = value as Record<string, unknown>;
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(source)) {
    const item = copyOfParsedJson(source[key]);
    // JSON.parse makes "__proto__" an own property; assigning it would set the prototype instead.
    if (key === '__proto__')
      Object.defineProperty(copy, key, { value: item, enumerable: true, writable: true, configurable: true });
    else copy[key] = item;
  }
  return copy;
}
