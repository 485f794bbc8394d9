/**
 * Free-form facts stored with an event: correlation and causation ids, the user, the event's
 * schema version (key {@link SCHEMA_VERSION_KEY}) … Every store keeps it as storable JSON
 * (core's `toStorableJson`), like the event's data.
 */
export type EventMetadata = Readonly<Record<string, unknown>>;

/** The metadata key that holds an event's schema version (an integer, 1 when absent). */
export const SCHEMA_VERSION_KEY = 'schemaVersion';

/**
 * An event to append. `eventId` makes retries idempotent: appending the same ids at the same
 * position again is a no-op. When absent, `metadata.messageId` (set by core's `createEvent`)
 * is used, else a fresh UUID v7.
 */
export interface NewEvent<TType extends string = string, TData = unknown> {
  readonly type: TType;
  readonly data: TData;
  readonly metadata?: EventMetadata | object;
  readonly eventId?: string;
}

/**
 * An event as the store recorded it. Treat it (and its `data`) as immutable.
 *
 * Positions and versions are JavaScript numbers (safe integers, up to 2^53 - 1): a SQL
 * adapter reads its `bigint` columns and converts them, refusing values past that bound.
 */
export interface RecordedEvent<TType extends string = string, TData = unknown> {
  /** The stream the event belongs to, e.g. `account-42`. */
  readonly streamName: string;
  /** Its version within the stream: 1 for the first event, then 2, 3 … without gaps. */
  readonly streamVersion: number;
  /**
   * Its position in the store's global order: strictly increasing across all streams,
   * starting at 1. May have gaps in SQL stores; never goes backwards.
   */
  readonly globalPosition: number;
  /** Unique id of the event (UUID v7 unless the writer chose one). */
  readonly eventId: string;
  readonly type: TType;
  readonly data: TData;
  readonly metadata: EventMetadata;
  /** When the store recorded the event; never decreases along the global order. */
  readonly recordedAt: Date;
}

/** Narrows a union of `{ type, data }` events into the recorded envelopes of the same union. */
export type RecordedEventOf<TEvent extends { type: string; data: unknown }> = TEvent extends unknown
  ? RecordedEvent<TEvent['type'], TEvent['data']>
  : never;

/** The schema version stored in an event's metadata (1 when absent). */
export function schemaVersionOf(event: { readonly metadata?: EventMetadata | object }): number {
  const value = (event.metadata as EventMetadata | undefined)?.[SCHEMA_VERSION_KEY];
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 ? value : 1;
}
