import type { ExpectedVersion } from './expectedVersion.js';
import type { NewEvent, RecordedEvent } from './recordedEvent.js';

/** Options of {@link EventStore.appendToStream}. */
export interface AppendOptions {
  /**
   * The version the stream must be at for the append to go ahead; see {@link ExpectedVersion}.
   * @default ANY
   */
  expectedVersion?: ExpectedVersion;
  /** Stops the append before it starts (an append already committing is not undone). */
  signal?: AbortSignal;
}

/** What {@link EventStore.appendToStream} reports. */
export interface AppendResult {
  /** The stream's version after the append: the version of its last event. */
  readonly nextExpectedVersion: number;
  /** The global position of the last appended event. */
  readonly lastPosition: number;
  /** The events as recorded (the earlier ones when the append was an idempotent retry). */
  readonly events: readonly RecordedEvent[];
  /** `false` when the same event ids were already recorded at that position (a retry). */
  readonly appended: boolean;
}

/** Options of {@link EventStore.readStream}. */
export interface ReadStreamOptions {
  /** @default 'forward' */
  direction?: 'forward' | 'backward';
  /**
   * The first version to read (inclusive).
   * @default 1 forward, the stream's last version backward
   */
  fromVersion?: number;
  /** The most events to read. @default Infinity */
  maxCount?: number;
  /** How many events each page (each query of a SQL store) fetches. @default the store's page size */
  pageSize?: number;
  /** Stops the read; the iteration rejects with the abort reason. */
  signal?: AbortSignal;
}

/** Which events a global read or subscription delivers. Empty filters match everything. */
export interface EventFilter {
  /** Only events of these types. */
  readonly eventTypes?: readonly string[];
  /** Only events of streams whose name starts with this prefix (or one of these). */
  readonly streamPrefix?: string | readonly string[];
}

/** Options of {@link EventStore.readAll}. */
export interface ReadAllOptions {
  /** The first global position to read (inclusive). @default 0 (the beginning) */
  fromPosition?: number;
  /** The most events to read. @default Infinity */
  maxCount?: number;
  /** Only events matching this filter. @default everything */
  filter?: EventFilter;
  /** Events per page. @default the store's page size */
  pageSize?: number;
  /** Stops the read; the iteration rejects with the abort reason. */
  signal?: AbortSignal;
}

/** Options shared by catch-up subscriptions. */
export interface SubscribeOptions {
  /** Events per page while catching up. @default the store's page size */
  pageSize?: number;
  /**
   * Stops the subscription: the iteration rejects with the abort reason. Breaking out of the
   * `for await` loop also stops it, quietly.
   */
  signal?: AbortSignal;
  /**
   * Called each time the subscription has delivered everything up to `position` (a global
   * position, or a stream version for a stream subscription) and starts waiting for new events.
   */
  onCaughtUp?: (position: number) => void;
}

/** Options of {@link EventStore.subscribeToAll}. */
export interface SubscribeToAllOptions extends SubscribeOptions {
  /** The first global position to deliver (inclusive); resume with `checkpoint + 1`. @default 0 */
  fromPosition?: number;
  /** Only events matching this filter. @default everything */
  filter?: EventFilter;
}

/** Options of {@link EventStore.subscribeToStream}. */
export interface SubscribeToStreamOptions extends SubscribeOptions {
  /** The first stream version to deliver (inclusive). @default 1 */
  fromVersion?: number;
}

/** Options of the small read-only queries. */
export interface SignalOptions {
  signal?: AbortSignal;
}

/**
 * An append-only store of event streams with a global order: the contract every store
 * (in-memory, PostgreSQL, PGlite) implements and `eventStoreContract` checks.
 *
 * Reads and subscriptions are async iterables that fetch pages, so a SQL store runs one
 * bounded query per page and a large stream never becomes one giant array. Each read comes in
 * two forms: per event (`readStream`) and per page (`readStreamPages`); a store implements the
 * paged one and derives the other with `flattenPages`.
 */
export interface EventStore {
  /**
   * Appends `events` to `streamName` atomically (all or none).
   *
   * @throws ConcurrencyError (from `@keel/core`) when the stream is not at `expectedVersion`;
   *   nothing is appended.
   * @throws DuplicateEventError when an event id is already recorded elsewhere.
   */
  appendToStream(
    streamName: string,
    events: readonly NewEvent[],
    options?: AppendOptions,
  ): Promise<AppendResult>;
  /** Reads one stream forward or backward, page by page. An absent stream reads as empty. */
  readStream(streamName: string, options?: ReadStreamOptions): AsyncIterable<RecordedEvent>;
  /**
   * Like {@link EventStore.readStream}, one non-empty array per page (at most `pageSize`
   * events each): the fast path for loaders that fold many events.
   */
  readStreamPages(streamName: string, options?: ReadStreamOptions): AsyncIterable<readonly RecordedEvent[]>;
  /** Reads every stream in global order from a position, page by page, with optional filters. */
  readAll(options?: ReadAllOptions): AsyncIterable<RecordedEvent>;
  /** Like {@link EventStore.readAll}, one non-empty array per page. */
  readAllPages(options?: ReadAllOptions): AsyncIterable<readonly RecordedEvent[]>;
  /** The stream's current version: the version of its last event, 0 when it has none. */
  streamVersion(streamName: string, options?: SignalOptions): Promise<number>;
  /** The global position of the last recorded event, 0 when the store is empty. */
  headPosition(options?: SignalOptions): Promise<number>;
  /**
   * Delivers every event of the store from a position, then live events as they are
   * appended, in global order with no gap and no repeat at the hand-over. Never ends by itself.
   */
  subscribeToAll(options?: SubscribeToAllOptions): AsyncIterable<RecordedEvent>;
  /** Like {@link EventStore.subscribeToAll} for one stream, by stream version. */
  subscribeToStream(streamName: string, options?: SubscribeToStreamOptions): AsyncIterable<RecordedEvent>;
}

/** What an {@link InlineProjection} receives with the events about to be committed. */
export interface InlineProjectionContext<TTransaction> {
  /** The store's transaction (a SQL client for the PostgreSQL store). */
  readonly transaction: TTransaction;
  /** The append's signal (never aborted if the caller passed none). */
  readonly signal: AbortSignal;
}

/**
 * A projection that runs inside the append's transaction: its writes commit with the events,
 * and if it throws, the append fails and nothing is recorded.
 */
export interface InlineProjection<TTransaction = unknown> {
  /** A name used in errors. */
  readonly name: string;
  /** Applies the events (of one append, in order) to the read model. */
  apply(
    events: readonly RecordedEvent[],
    context: InlineProjectionContext<TTransaction>,
  ): Promise<void> | void;
}
