import type { ExpectedVersion } from './expectedVersion.js';
import type { NewEvent, RecordedEvent } from './recordedEvent.js';

/** Options of {@link EventStore.appendToStream}. */
export interface AppendOptions {
  /**
   * The version the stream must be at for the append to go ahead; see {@link ExpectedVersion}.
   * @default ANY
   */
  expectedVersion?: ExpectedVersion | undefined;
  /** Stops the append before it starts (an append already committing is not undone). */
  signal?: AbortSignal | undefined;
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
  direction?: 'forward' | 'backward' | undefined;
  /**
   * The first version to read (inclusive).
   * @default 1 forward, the stream's last version backward
   */
  fromVersion?: number | undefined;
  /** The most events to read. @default Infinity */
  maxCount?: number | undefined;
  /** How many events each page (each query of a SQL store) fetches. @default the store's page size */
  pageSize?: number | undefined;
  /** Stops the read; the iteration rejects with the abort reason. */
  signal?: AbortSignal | undefined;
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
  fromPosition?: number | undefined;
  /** The most events to read. @default Infinity */
  maxCount?: number | undefined;
  /** Only events matching this filter. @default everything */
  filter?: EventFilter | undefined;
  /** Events per page. @default the store's page size */
  pageSize?: number | undefined;
  /** Stops the read; the iteration rejects with the abort reason. */
  signal?: AbortSignal | undefined;
}

/** Options shared by catch-up subscriptions. */
export interface SubscribeOptions {
  /** Events per page while catching up. @default the store's page size */
  pageSize?: number | undefined;
  /**
   * Stops the subscription: the iteration rejects with the abort reason. Breaking out of the
   * `for await` loop also stops it, quietly.
   */
  signal?: AbortSignal | undefined;
  /**
   * Called each time the subscription has delivered everything up to `position` (a global
   * position, or a stream version for a stream subscription) and starts waiting for new events.
   */
  onCaughtUp?: ((position: number) => void) | undefined;
}

/** Options of {@link EventStore.subscribeToAll}. */
export interface SubscribeToAllOptions extends SubscribeOptions {
  /** The first global position to deliver (inclusive); resume with `checkpoint + 1`. @default 0 */
  fromPosition?: number | undefined;
  /** Only events matching this filter. @default everything */
  filter?: EventFilter | undefined;
}

/** Options of {@link EventStore.subscribeToStream}. */
export interface SubscribeToStreamOptions extends SubscribeOptions {
  /** The first stream version to deliver (inclusive). @default 1 */
  fromVersion?: number | undefined;
}

/** Options of the small read-only queries. */
export interface SignalOptions {
  signal?: AbortSignal;
}

/**
 * An append-only store of event streams with a global order: the contract every store
 * (in-memory, PostgreSQL, PGlite) implements and `eventStoreContract` checks. Every store
 * accepts, refuses and changes the same inputs and values, with the same errors.
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
   * Checks, in this order, before anything is written:
   * 1. the input (`checkOptionsObject`, `checkAppend`): `options` that are `undefined` or an
   *    object (`null` is refused); a stream name of 1 to `MAX_STREAM_NAME_LENGTH` UTF-16 code
   *    units without NUL or lone surrogates; an `expectedVersion` that is `undefined` (meaning
   *    `ANY`), an integer from 0 to 2^53 - 1, `NO_STREAM`, `STREAM_EXISTS` or `ANY` (`null` is
   *    refused); an array of events without holes, each an object with a non-empty string
   *    `type` and `metadata` that is absent or a plain object;
   * 2. the values: data and metadata must be storable JSON (core's `toStorableJson`); a `Date`
   *    is stored as its ISO string, a class instance as a plain object;
   * 3. the duplicate-id rule, before the expected version: when any event id of the batch is
   *    already recorded, the append is an idempotent no-op (`appended: false`, the earlier
   *    result) if the whole batch is recorded, in order, in this stream at the position this
   *    append targets (version `expectedVersion + 1`, 1 for `NO_STREAM`, wherever the first id
   *    sits for `ANY` and `STREAM_EXISTS`), whatever the stream's version is now; otherwise it is
   *    a `DuplicateEventError`, whatever the expected version says;
   * 4. the expected version.
   *
   * @throws ValidationError (from `@keel/core`) when the input is refused; nothing is appended.
   * @throws SerializationError (from `@keel/core`) when a value cannot be stored; nothing is appended.
   * @throws DuplicateEventError when an id repeats in the batch or is recorded and the batch is
   *   not a retry of the same append; nothing is appended.
   * @throws ConcurrencyError (from `@keel/core`) when the stream is not at `expectedVersion`;
   *   nothing is appended.
   */
  appendToStream(
    streamName: string,
    events: readonly NewEvent[],
    options?: AppendOptions,
  ): Promise<AppendResult>;
  /**
   * Reads one stream forward or backward, page by page. An absent stream reads as empty.
   *
   * @throws ValidationError when the stream name or an option is refused
   *   (`checkReadStreamOptions`): options that are not `undefined` or an object (`null`), positions, counts and page sizes that are NaN, negative,
   *   fractional or not numbers are refused by every store, never read as an empty result.
   */
  readStream(streamName: string, options?: ReadStreamOptions): AsyncIterable<RecordedEvent>;
  /**
   * Like {@link EventStore.readStream}, one non-empty array per page (at most `pageSize`
   * events each): the fast path for loaders that fold many events.
   */
  readStreamPages(streamName: string, options?: ReadStreamOptions): AsyncIterable<readonly RecordedEvent[]>;
  /**
   * Reads every stream in global order from a position, page by page, with optional filters.
   *
   * @throws ValidationError when an option is refused (`checkReadAllOptions`).
   */
  readAll(options?: ReadAllOptions): AsyncIterable<RecordedEvent>;
  /** Like {@link EventStore.readAll}, one non-empty array per page. */
  readAllPages(options?: ReadAllOptions): AsyncIterable<readonly RecordedEvent[]>;
  /**
   * The stream's current version: the version of its last event, 0 when it has none.
   *
   * @throws ValidationError when the stream name is refused, or `options` is not `undefined`
   *   or an object (`checkOptionsObject`).
   */
  streamVersion(streamName: string, options?: SignalOptions): Promise<number>;
  /**
   * The global position of the last recorded event, 0 when the store is empty.
   *
   * @throws ValidationError when `options` is not `undefined` or an object (`checkOptionsObject`).
   */
  headPosition(options?: SignalOptions): Promise<number>;
  /**
   * Delivers every event of the store from a position, then live events as they are
   * appended, in global order with no gap and no repeat at the hand-over. Never ends by itself.
   *
   * @throws ValidationError when an option is refused (`checkSubscribeToAllOptions`).
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
