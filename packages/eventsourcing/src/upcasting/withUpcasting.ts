import type {
  AppendOptions,
  AppendResult,
  EventStore,
  ReadAllOptions,
  ReadStreamOptions,
  SignalOptions,
  SubscribeToAllOptions,
  SubscribeToStreamOptions,
} from '../eventStore/eventStore.js';
import { checkAppend } from '../eventStore/checkAppend.js';
import type { NewEvent, RecordedEvent } from '../eventStore/recordedEvent.js';
import type { Upcaster } from './upcaster.js';

async function* mapEvents(
  source: AsyncIterable<RecordedEvent>,
  map: (event: RecordedEvent) => RecordedEvent,
): AsyncGenerator<RecordedEvent> {
  for await (const event of source) yield map(event);
}

async function* mapPages(
  source: AsyncIterable<readonly RecordedEvent[]>,
  map: (event: RecordedEvent) => RecordedEvent,
): AsyncGenerator<readonly RecordedEvent[]> {
  for await (const page of source) yield page.map(map);
}

/**
 * Wraps any {@link EventStore} so appends are stamped with the current schema version and every
 * read and subscription returns events upcast to the newest shape. An event appended with an
 * explicit `metadata.schemaVersion` keeps it (so events already in an older shape can be
 * imported through the wrapper); one newer than the chains know is refused with
 * `UnknownSchemaVersionError` before anything is written. Pass the wrapped store to
 * repositories, command handlers and projection runners, and they all see the same shapes.
 *
 * @param store The store to wrap (in-memory, PostgreSQL …).
 * @param upcaster The chains, from `createUpcaster`.
 * @returns A store with the same contract.
 * @example
 * ```ts
 * const store = withUpcasting(new InMemoryEventStore(), createUpcaster({ Deposited: [v1ToV2] }));
 * ```
 */
export function withUpcasting(store: EventStore, upcaster: Upcaster): EventStore {
  const upcast = (event: RecordedEvent): RecordedEvent => upcaster.upcast(event);
  return {
    async appendToStream(
      streamName: string,
      events: readonly NewEvent[],
      options?: AppendOptions,
    ): Promise<AppendResult> {
      // Refuse malformed events with the store's ValidationError before stamping touches them.
      checkAppend(streamName, options?.expectedVersion, events);
      const result = await store.appendToStream(
        streamName,
        events.map((event) => upcaster.stamp(event)),
        options,
      );
      return { ...result, events: result.events.map(upcast) };
    },
    readStream: (streamName: string, options?: ReadStreamOptions) =>
      mapEvents(store.readStream(streamName, options), upcast),
    readStreamPages: (streamName: string, options?: ReadStreamOptions) =>
      mapPages(store.readStreamPages(streamName, options), upcast),
    readAll: (options?: ReadAllOptions) => mapEvents(store.readAll(options), upcast),
    readAllPages: (options?: ReadAllOptions) => mapPages(store.readAllPages(options), upcast),
    streamVersion: (streamName: string, options?: SignalOptions) => store.streamVersion(streamName, options),
    headPosition: (options?: SignalOptions) => store.headPosition(options),
    subscribeToAll: (options?: SubscribeToAllOptions) => mapEvents(store.subscribeToAll(options), upcast),
    subscribeToStream: (streamName: string, options?: SubscribeToStreamOptions) =>
      mapEvents(store.subscribeToStream(streamName, options), upcast),
  };
}
