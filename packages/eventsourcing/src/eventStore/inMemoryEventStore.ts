import { ConcurrencyError, systemClock, throwIfAborted } from '@keel/core';
import type { Clock } from '@keel/core';
import { DuplicateEventError } from '../errors/errors.js';
import { Mutex } from '../internal/mutex.js';
import { checkInteger } from '../internal/options.js';
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
import { ANY, matchesExpectedVersion, NO_STREAM } from './expectedVersion.js';
import { checkAppend } from './checkAppend.js';
import type { ExpectedVersion } from './expectedVersion.js';
import { matchesFilter } from './filter.js';
import { flattenPages, pageThrough } from './pages.js';
import { eventIdOf, idempotentRetry } from './idempotency.js';
import { AppendNotifier } from '../internal/appendNotifier.js';
import { UuidV7Generator } from '../internal/uuidV7.js';
import type { EventMetadata, NewEvent, RecordedEvent } from './recordedEvent.js';

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
  clock?: Clock;
  /** Events per page of reads and subscriptions. @default 256 */
  pageSize?: number;
  /** Projections run inside each append; if one throws, nothing is appended. @default [] */
  inlineProjections?: readonly InlineProjection<InMemoryTransaction>[];
}

const DEFAULTS = Object.freeze({ pageSize: 256 });

/**
 * An {@link EventStore} in process memory, for tests and prototypes. Appends are atomic and
 * serialized; reads are paged like a SQL store's so code behaves the same on both.
 *
 * Stored data is not copied: treat appended and read events as immutable.
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
  readonly #all: RecordedEvent[] = [];
  readonly #streams = new Map<string, RecordedEvent[]>();
  readonly #ids = new Map<string, RecordedEvent>();
  readonly #notifier = new AppendNotifier();
  readonly #mutex = new Mutex();
  readonly #idGenerator: UuidV7Generator;
  readonly #newId = (): string => this.#idGenerator.next();

  /** @param options See {@link InMemoryEventStoreOptions}. */
  constructor(options: InMemoryEventStoreOptions = {}) {
    this.#clock = options.clock ?? systemClock;
    this.#idGenerator = new UuidV7Generator(this.#clock);
    this.#pageSize = checkInteger(
      'InMemoryEventStore options',
      'pageSize',
      options.pageSize ?? DEFAULTS.pageSize,
      1,
    );
    this.#inline = options.inlineProjections ?? [];
  }

  /** {@inheritDoc EventStore.appendToStream} */
  async appendToStream(
    streamName: string,
    events: readonly NewEvent[],
    options: AppendOptions = {},
  ): Promise<AppendResult> {
    throwIfAborted(options.signal);
    const expected = options.expectedVersion ?? ANY;
    checkAppend(streamName, expected);
    if (this.#inline.length === 0) return this.#append(streamName, events, expected, undefined);
    return this.#mutex.run(() => this.#append(streamName, events, expected, options.signal));
  }

  /** {@inheritDoc EventStore.readStreamPages} */
  async *readStreamPages(
    streamName: string,
    options: ReadStreamOptions = {},
  ): AsyncGenerator<RecordedEvent[]> {
    throwIfAborted(options.signal);
    const pageSize = this.#checkPageSize(options.pageSize);
    const backward = options.direction === 'backward';
    yield* pageThrough((from, limit) => this.#streamPage(streamName, from, limit, backward), {
      from: options.fromVersion ?? (backward ? Infinity : 1),
      pageSize,
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
      return stream.slice(Math.max(0, end - limit), end).reverse();
    }
    const start = Math.max(from, 1) - 1;
    return stream.slice(start, start + limit);
  }

  /** {@inheritDoc EventStore.readStream} */
  readStream(streamName: string, options: ReadStreamOptions = {}): AsyncIterable<RecordedEvent> {
    return flattenPages(this.readStreamPages(streamName, options));
  }

  /** {@inheritDoc EventStore.readAllPages} */
  async *readAllPages(options: ReadAllOptions = {}): AsyncGenerator<RecordedEvent[]> {
    throwIfAborted(options.signal);
    yield* pageThrough((from, limit) => this.#readAllPage(from, limit, options), {
      from: options.fromPosition ?? 0,
      pageSize: this.#checkPageSize(options.pageSize),
      maxCount: options.maxCount,
      signal: options.signal,
      nextFrom: (last) => last.globalPosition + 1,
    });
  }

  /** {@inheritDoc EventStore.readAll} */
  readAll(options: ReadAllOptions = {}): AsyncIterable<RecordedEvent> {
    return flattenPages(this.readAllPages(options));
  }

  /** {@inheritDoc EventStore.streamVersion} */
  async streamVersion(streamName: string, options: SignalOptions = {}): Promise<number> {
    throwIfAborted(options.signal);
    return this.#streams.get(streamName)?.length ?? 0;
  }

  /** {@inheritDoc EventStore.headPosition} */
  async headPosition(options: SignalOptions = {}): Promise<number> {
    throwIfAborted(options.signal);
    return this.#all.length;
  }

  /** {@inheritDoc EventStore.subscribeToAll} */
  subscribeToAll(options: SubscribeToAllOptions = {}): AsyncIterable<RecordedEvent> {
    const source: CatchUpSource = {
      readPage: async (from, limit) => this.#readAllPage(from, limit, options),
      cursorOf: (event) => event.globalPosition,
      head: async () => this.#all.length,
      watch: () => this.#notifier.watch(),
    };
    const pageSize = this.#checkPageSize(options.pageSize);
    return catchUpSubscription(source, { ...options, from: options.fromPosition ?? 0, pageSize });
  }

  /** {@inheritDoc EventStore.subscribeToStream} */
  subscribeToStream(
    streamName: string,
    options: SubscribeToStreamOptions = {},
  ): AsyncIterable<RecordedEvent> {
    const source: CatchUpSource = {
      readPage: async (from, limit) => {
        const stream = this.#streams.get(streamName) ?? [];
        return stream.slice(Math.max(from, 1) - 1, Math.max(from, 1) - 1 + limit);
      },
      cursorOf: (event) => event.streamVersion,
      watch: () => this.#notifier.watch(),
    };
    const pageSize = this.#checkPageSize(options.pageSize);
    return catchUpSubscription(source, { ...options, from: options.fromVersion ?? 1, pageSize });
  }

  #checkPageSize(pageSize: number | undefined): number {
    return pageSize === undefined ? this.#pageSize : checkInteger('read options', 'pageSize', pageSize, 1);
  }

  #readAllPage(from: number, limit: number, options: Pick<ReadAllOptions, 'filter'>): RecordedEvent[] {
    const start = Math.max(from, 1) - 1;
    if (options.filter === undefined) return this.#all.slice(start, start + limit);
    const page: RecordedEvent[] = [];
    for (let index = start; index < this.#all.length && page.length < limit; index++) {
      const event = this.#all[index]!;
      if (matchesFilter(event, options.filter)) page.push(event);
    }
    return page;
  }

  async #append(
    streamName: string,
    events: readonly NewEvent[],
    expected: ExpectedVersion,
    signal: AbortSignal | undefined,
  ): Promise<AppendResult> {
    const stream = this.#streams.get(streamName) ?? [];
    const ids = events.map((event) => eventIdOf(event, this.#newId));
    const retry = idempotentRetry(stream, ids, expected, (id) => this.#ids.get(id));
    if (retry !== undefined) return retry;
    if (!matchesExpectedVersion(expected, stream.length)) {
      throw new ConcurrencyError({
        subject: streamName,
        expected,
        actual: stream.length === 0 ? NO_STREAM : stream.length,
      });
    }
    const recorded = this.#record(streamName, stream.length, events, ids);
    if (recorded.length === 0) {
      return {
        nextExpectedVersion: stream.length,
        lastPosition: this.#all.length,
        events: [],
        appended: true,
      };
    }
    if (this.#inline.length > 0) await this.#runInline(recorded, signal);
    this.#commit(streamName, stream, recorded);
    return {
      nextExpectedVersion: stream.length,
      lastPosition: recorded[recorded.length - 1]!.globalPosition,
      events: recorded,
      appended: true,
    };
  }

  #record(
    streamName: string,
    version: number,
    events: readonly NewEvent[],
    ids: readonly string[],
  ): RecordedEvent[] {
    const recordedAt = new Date(this.#clock.now());
    const seen = ids.length > 1 ? new Set<string>() : undefined;
    return events.map((event, index) => {
      const eventId = ids[index]!;
      const existing = this.#ids.get(eventId);
      if (existing !== undefined)
        throw new DuplicateEventError(eventId, existing.streamName, existing.streamVersion);
      if (seen?.has(eventId)) throw new DuplicateEventError(eventId, streamName, version + index);
      seen?.add(eventId);
      return Object.freeze({
        streamName,
        streamVersion: version + index + 1,
        globalPosition: this.#all.length + index + 1,
        eventId,
        type: event.type,
        data: event.data,
        metadata: (event.metadata ?? EMPTY_METADATA) as EventMetadata,
        recordedAt,
      });
    });
  }

  async #runInline(recorded: readonly RecordedEvent[], signal: AbortSignal | undefined): Promise<void> {
    const undos: (() => void)[] = [];
    const context = {
      transaction: { onRollback: (undo: () => void) => void undos.push(undo) },
      signal: signal ?? NEVER,
    };
    try {
      for (const projection of this.#inline) await projection.apply(recorded, context);
    } catch (error) {
      for (const undo of undos.reverse()) undo();
      throw error;
    }
  }

  #commit(streamName: string, stream: RecordedEvent[], recorded: readonly RecordedEvent[]): void {
    if (stream.length === 0) this.#streams.set(streamName, stream);
    for (const event of recorded) {
      stream.push(event);
      this.#all.push(event);
      this.#ids.set(event.eventId, event);
    }
    this.#notifier.notify();
  }
}

const EMPTY_METADATA: EventMetadata = Object.freeze({});
const NEVER = new AbortController().signal;
