import {
  LazySignalContext,
  Mutex,
  assertOptions,
  ConcurrencyError,
  optionClock,
  optionInteger,
  optionRule,
  systemClock,
  telemetryEnabled,
  throwIfAborted,
  withDefaults,
  UuidV7Generator,
} from '@keel/core';
import type { Clock } from '@keel/core';
import { catchUpSubscription } from './catchUpSubscription.js';
import type { CatchUpSource } from './catchUpSubscription.js';
import type {
  AppendOptions,
  AppendResult,
  EventStore,
  InlineProjection,
  ReadAllOptions,
  ReadStreamOptions,
  SignalOptions,
  SubscribeToAllOptions,
  SubscribeToStreamOptions,
} from './eventStore.js';
import { matchesExpectedVersion, NO_STREAM } from './expectedVersion.js';
import { checkAppend } from './checkAppend.js';
import { checkOptionsObject } from './checkOptions.js';
import {
  checkReadAllOptions,
  checkReadStreamOptions,
  checkSubscribeToAllOptions,
  checkSubscribeToStreamOptions,
} from './checkReads.js';
import type { ExpectedVersion } from './expectedVersion.js';
import { matchesFilter } from './filter.js';
import { flattenPages, pageThrough } from './pages.js';
import { checkRecordedIds, eventIdOf } from './idempotency.js';
import { checkStreamName } from './names.js';
import { serializeEvents, storedEventOf, toRecordedEvent } from './storedEvent.js';
import type { SerializedEvent, StoredEvent } from './storedEvent.js';
import { AppendNotifier } from '../internal/appendNotifier.js';
import { traceAppend, tracePage } from '../internal/telemetry.js';
import type { NewEvent, RecordedEvent } from './recordedEvent.js';

/** The transaction an in-memory {@link InlineProjection} receives. */
export interface InMemoryTransaction {
  /**
   * Registers an undo for a write the projection made; run (latest first) if a later inline
   * projection throws and the append is abandoned.
   */
  onRollback(undo: () => void): void;
}

/** Options of {@link InMemoryEventStore}. */
export interface InMemoryEventStoreOptions {
  /** The source of `recordedAt`. @default systemClock */
  clock?: Clock | undefined;
  /** Events per page of reads and subscriptions (an integer >= 1). @default 256 */
  pageSize?: number | undefined;
  /** Projections run inside each append; if one throws, nothing is appended. @default [] */
  inlineProjections?: readonly InlineProjection<InMemoryTransaction>[] | undefined;
}

const DEFAULTS = Object.freeze({
  clock: systemClock as Clock,
  pageSize: 256,
  inlineProjections: [] as readonly InlineProjection<InMemoryTransaction>[],
});

/** An append after its checks, serialization and id assignment: what the log needs. */
interface PreparedAppend {
  readonly streamName: string;
  readonly expected: ExpectedVersion;
  readonly events: readonly SerializedEvent[];
  readonly ids: readonly string[];
  readonly signal: AbortSignal | undefined;
}

/**
 * An {@link EventStore} in process memory, for tests and prototypes. It accepts, refuses and
 * changes exactly what the PostgreSQL store does, so code tested against it works in
 * production: appends and reads run the shared checks (`checkAppend`, the read checks), event
 * data and metadata are kept as storable JSON (core's `toStorableJson`: NUL characters, lone
 * surrogates, BigInt … are refused with a `SerializationError` before anything is written; a
 * `Date` reads back as its ISO string, a class instance as a plain object), and every read
 * returns fresh copies. Appends are atomic and serialized; `recordedAt` never decreases along
 * the global order; reads are paged like a SQL store's.
 *
 * @example
 * ```ts
 * const store = new InMemoryEventStore();
 * await store.appendToStream('account-1', [{ type: 'Opened', data: { owner: 'Ada' } }], { expectedVersion: NO_STREAM });
 * for await (const event of store.readStream('account-1')) console.log(event.type);
 * ```
 */
export class InMemoryEventStore implements EventStore {
  readonly #clock: Clock;
  readonly #pageSize: number;
  readonly #inline: readonly InlineProjection<InMemoryTransaction>[];
  readonly #all: StoredEvent[] = [];
  readonly #streams = new Map<string, StoredEvent[]>();
  readonly #ids = new Map<string, StoredEvent>();
  readonly #notifier = new AppendNotifier();
  readonly #mutex = new Mutex();
  readonly #idGenerator: UuidV7Generator;
  readonly #newId = (): string => this.#idGenerator.next();
  #lastRecordedAt = -Infinity;

  /**
   * @param options See {@link InMemoryEventStoreOptions}.
   * @throws ValidationError when an option is out of range or of the wrong kind.
   */
  constructor(options: InMemoryEventStoreOptions = {}) {
    const settings = withDefaults(DEFAULTS, options);
    assertOptions('InMemoryEventStore', {
      clock: optionClock(settings.clock, ['now']),
      pageSize: optionInteger(settings.pageSize, { min: 1 }),
      inlineProjections: optionRule(
        Array.isArray(settings.inlineProjections) &&
          settings.inlineProjections.every((projection) => typeof projection?.apply === 'function'),
        'must be an array of InlineProjection objects (with apply).',
      ),
    });
    this.#clock = settings.clock;
    this.#idGenerator = new UuidV7Generator({ clock: this.#clock });
    this.#pageSize = settings.pageSize;
    this.#inline = [...settings.inlineProjections];
  }

  appendToStream(
    streamName: string,
    events: readonly NewEvent[],
    options: AppendOptions = {},
  ): Promise<AppendResult> {
    if (!telemetryEnabled()) return this.#appendToStream(streamName, events, options);
    // Options that are not an object are refused inside, as a rejection like every other check.
    const { expectedVersion } = (options as AppendOptions | null) ?? {};
    return traceAppend(streamName, events, expectedVersion, () =>
      this.#appendToStream(streamName, events, options),
    );
  }

  async #appendToStream(
    streamName: string,
    events: readonly NewEvent[],
    options: AppendOptions,
  ): Promise<AppendResult> {
    checkOptionsObject(options, 'appendToStream');
    throwIfAborted(options.signal);
    const expected = checkAppend(streamName, options.expectedVersion, events);
    const prepared: PreparedAppend = {
      streamName,
      expected,
      events: serializeEvents(streamName, events),
      ids: events.map((event) => eventIdOf(event, this.#newId)),
      signal: options.signal,
    };
    if (this.#inline.length === 0) return this.#append(prepared);
    return this.#mutex.run(() => this.#append(prepared), options.signal);
  }

  readStreamPages(streamName: string, options: ReadStreamOptions = {}): AsyncGenerator<RecordedEvent[]> {
    checkReadStreamOptions(streamName, options);
    return this.#streamPages(streamName, options);
  }

  async *#streamPages(streamName: string, options: ReadStreamOptions): AsyncGenerator<RecordedEvent[]> {
    throwIfAborted(options.signal);
    const backward = options.direction === 'backward';
    const read = (from: number, limit: number) => this.#streamPage(streamName, from, limit, backward);
    const traced = (from: number, limit: number) =>
      tracePage('read_stream', { 'keel.stream.name': streamName, 'keel.read.from': from }, () =>
        read(from, limit),
      );
    yield* pageThrough(telemetryEnabled() ? traced : read, {
      from: options.fromVersion ?? (backward ? Infinity : 1),
      pageSize: options.pageSize ?? this.#pageSize,
      maxCount: options.maxCount,
      signal: options.signal,
      nextFrom: (last) => last.streamVersion + (backward ? -1 : 1),
    });
  }

  #streamPage(streamName: string, from: number, limit: number, backward: boolean): RecordedEvent[] {
    const stream = this.#streams.get(streamName) ?? [];
    // Versions are 1-based and gapless, so version v sits at index v - 1.
    if (backward) {
      const end = Math.max(0, Math.min(from, stream.length));
      return stream
        .slice(Math.max(0, end - limit), end)
        .reverse()
        .map(toRecordedEvent);
    }
    const start = Math.max(from, 1) - 1;
    return stream.slice(start, start + limit).map(toRecordedEvent);
  }

  readStream(streamName: string, options: ReadStreamOptions = {}): AsyncIterable<RecordedEvent> {
    return flattenPages(this.readStreamPages(streamName, options));
  }

  readAllPages(options: ReadAllOptions = {}): AsyncGenerator<RecordedEvent[]> {
    checkReadAllOptions(options);
    return this.#allPages(options);
  }

  async *#allPages(options: ReadAllOptions): AsyncGenerator<RecordedEvent[]> {
    throwIfAborted(options.signal);
    const read = (from: number, limit: number) => this.#readAllPage(from, limit, options);
    const traced = (from: number, limit: number) =>
      tracePage('read_all', { 'keel.read.from': from }, () => read(from, limit));
    yield* pageThrough(telemetryEnabled() ? traced : read, {
      from: options.fromPosition ?? 0,
      pageSize: options.pageSize ?? this.#pageSize,
      maxCount: options.maxCount,
      signal: options.signal,
      nextFrom: (last) => last.globalPosition + 1,
    });
  }

  readAll(options: ReadAllOptions = {}): AsyncIterable<RecordedEvent> {
    return flattenPages(this.readAllPages(options));
  }

  async streamVersion(streamName: string, options: SignalOptions = {}): Promise<number> {
    checkOptionsObject(options, 'streamVersion');
    throwIfAborted(options.signal);
    checkStreamName(streamName);
    return this.#streams.get(streamName)?.length ?? 0;
  }

  async headPosition(options: SignalOptions = {}): Promise<number> {
    checkOptionsObject(options, 'headPosition');
    throwIfAborted(options.signal);
    return this.#all.length;
  }

  subscribeToAll(options: SubscribeToAllOptions = {}): AsyncIterable<RecordedEvent> {
    checkSubscribeToAllOptions(options);
    const source: CatchUpSource = {
      readPage: async (from, limit) => this.#readAllPage(from, limit, options),
      cursorOf: (event) => event.globalPosition,
      head: async () => this.#all.length,
      watch: () => this.#notifier.watch(),
    };
    const pageSize = options.pageSize ?? this.#pageSize;
    return catchUpSubscription(source, { ...options, from: options.fromPosition ?? 0, pageSize });
  }

  subscribeToStream(
    streamName: string,
    options: SubscribeToStreamOptions = {},
  ): AsyncIterable<RecordedEvent> {
    checkSubscribeToStreamOptions(streamName, options);
    const source: CatchUpSource = {
      readPage: async (from, limit) => this.#streamPage(streamName, from, limit, false),
      cursorOf: (event) => event.streamVersion,
      watch: () => this.#notifier.watch(),
    };
    const pageSize = options.pageSize ?? this.#pageSize;
    return catchUpSubscription(source, { ...options, from: options.fromVersion ?? 1, pageSize });
  }

  #readAllPage(from: number, limit: number, options: Pick<ReadAllOptions, 'filter'>): RecordedEvent[] {
    const start = Math.max(from, 1) - 1;
    if (options.filter === undefined) return this.#all.slice(start, start + limit).map(toRecordedEvent);
    const page: RecordedEvent[] = [];
    for (let index = start; index < this.#all.length && page.length < limit; index++) {
      const event = this.#all[index]!;
      if (matchesFilter(event, options.filter)) page.push(toRecordedEvent(event));
    }
    return page;
  }

  async #append(append: PreparedAppend): Promise<AppendResult> {
    const stream = this.#streams.get(append.streamName) ?? [];
    const recordedIds = append.ids.flatMap((id) => this.#ids.get(id) ?? []);
    const earlier = checkRecordedIds(append.streamName, append.ids, append.expected, recordedIds);
    if (earlier !== undefined) return resultOf(earlier.map(toRecordedEvent), false);
    if (!matchesExpectedVersion(append.expected, stream.length)) {
      throw new ConcurrencyError({
        subject: append.streamName,
        expected: append.expected,
        actual: stream.length === 0 ? NO_STREAM : stream.length,
      });
    }
    if (append.events.length === 0)
      return {
        nextExpectedVersion: stream.length,
        lastPosition: this.#all.length,
        events: [],
        appended: true,
      };
    const stored = this.#record(append, stream.length);
    const recorded = stored.map(toRecordedEvent);
    if (this.#inline.length > 0) await this.#runInline(recorded, append.signal);
    this.#commit(append.streamName, stream, stored);
    return resultOf(recorded, true);
  }

  /**
   * Gives the events their versions, positions and `recordedAt`. The time is taken here, once
   * the append has its turn, and never below the previous append's, so `recordedAt` never
   * decreases along the global order even if the clock steps back.
   */
  #record(append: PreparedAppend, version: number): StoredEvent[] {
    const recordedAt = Math.max(this.#clock.now(), this.#lastRecordedAt);
    this.#lastRecordedAt = recordedAt;
    return append.events.map((event, index) =>
      storedEventOf(event, {
        streamName: append.streamName,
        streamVersion: version + index + 1,
        globalPosition: this.#all.length + index + 1,
        eventId: append.ids[index]!,
        recordedAt,
      }),
    );
  }

  async #runInline(recorded: readonly RecordedEvent[], signal: AbortSignal | undefined): Promise<void> {
    const undos: (() => void)[] = [];
    // A projection that reads the signal without a caller's gets one of its own, never a shared one.
    const lazy = new LazySignalContext(signal);
    const context = {
      transaction: { onRollback: (undo: () => void) => void undos.push(undo) },
      get signal(): AbortSignal {
        return lazy.signal;
      },
    };
    try {
      for (const projection of this.#inline) {
        throwIfAborted(signal);
        await projection.apply(recorded, context);
      }
    } catch (error) {
      for (const undo of undos.reverse()) undo();
      throw error;
    }
  }

  /**
   * Adds a batch to the log, all or nothing: should any write throw (a `Map` at its size
   * limit …), the writes before it are undone, so no reader ever sees part of a batch.
   */
  #commit(streamName: string, stream: StoredEvent[], stored: readonly StoredEvent[]): void {
    const streamLength = stream.length;
    const allLength = this.#all.length;
    let indexed = 0;
    try {
      for (; indexed < stored.length; indexed++) {
        const event = stored[indexed]!;
        this.#ids.set(event.eventId, event);
        stream.push(event);
        this.#all.push(event);
      }
    } catch (error) {
      for (let index = 0; index <= indexed && index < stored.length; index++)
        this.#ids.delete(stored[index]?.eventId as string);
      stream.length = streamLength;
      this.#all.length = allLength;
      throw error;
    }
    if (streamLength === 0) this.#streams.set(streamName, stream);
    this.#notifier.notify();
  }
}

function resultOf(recorded: readonly RecordedEvent[], appended: boolean): AppendResult {
  const last = recorded[recorded.length - 1]!;
  return {
    nextExpectedVersion: last.streamVersion,
    lastPosition: last.globalPosition,
    events: recorded,
    appended,
  };
}
