import { NEVER_ABORTED, raceAbort, systemClock, throwIfAborted } from '@keel/core';
import type { Clock } from '@keel/core';
import {
  catchUpSubscription,
  checkAppend,
  checkOptionsObject,
  checkReadAllOptions,
  checkRecordedIds,
  checkReadStreamOptions,
  checkSubscribeToAllOptions,
  checkStreamName,
  checkSubscribeToStreamOptions,
  flattenPages,
  pageThrough,
} from '@keel/eventsourcing';
import type {
  AppendOptions,
  AppendResult,
  AppendWatch,
  CatchUpOptions,
  CatchUpSource,
  EventFilter,
  EventStore,
  InlineProjection,
  NewEvent,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  SignalOptions,
  SubscribeToAllOptions,
  SubscribeToStreamOptions,
} from '@keel/eventsourcing';
import { sqlSchema } from '../../client/identifiers.js';
import type { SqlClient, SqlExecutor, SqlTransaction, SqlUnlisten } from '../../client/sqlClient.js';
import { toNumber } from '../../internal/normalize.js';
import {
  appendEvents,
  appendStatement,
  groupStatement,
  serializeBatch,
  streamVersionIn,
} from './appendEvents.js';
import { AppendGroups } from './appendGroups.js';
import type { AppendRequest, AppendStatement } from './appendEvents.js';
import { AppendWakeups } from './appendWakeups.js';
import {
  allPageQuery,
  EVENT_COLUMNS,
  eventIdOf,
  isEmptyFilter,
  settledBound,
  signalOption,
  toRecordedEvent,
} from './eventRows.js';
import { Announcer } from './announcer.js';
import { EventStoreTelemetry } from './eventStoreTelemetry.js';
import { resolveEventStoreOptions } from './postgresEventStoreOptions.js';
import type { PostgresEventStoreOptions } from './postgresEventStoreOptions.js';
import type { EventRow } from './eventRows.js';

const LAST_VERSION = Number.MAX_SAFE_INTEGER;

/**
 * An {@link EventStore} on PostgreSQL or PGlite, in the `events` table of `migrate()`.
 *
 * Appends to different streams run and commit concurrently; an append is one call of the
 * schema's `append_to_stream` function (one round trip, a statement prepared once per
 * connection), and when more than `maxAppendCalls` run at once, the ones waiting share the next
 * call and its transaction (`append_to_streams`, a group commit; each keeps its own outcome).
 * The global order still never skips: each append draws its positions in a short critical
 * section (an advisory lock held for microseconds, not until commit) that also fixes its transaction id and stamps the rows with a gate, the
 * highest transaction id of every append that has drawn a position so far. Readers of the global
 * order (`readAll`, subscriptions, projection runners) only see rows whose gate is below the
 * oldest running transaction, so when they see position N every lower position is committed and
 * visible, or rolled back for good. See the package README for the proof and the cost (a long
 * write transaction anywhere in the database delays the global order, never a stream read).
 *
 * @throws {ValidationError} at construction listing every option that is out of range.
 * @throws {InvalidIdentifierError} at construction when `schema` is not a plain lowercase identifier.
 * @example
 * ```ts
 * const store = new PostgresEventStore(client);
 * await store.appendToStream('account-1', [{ type: 'Opened', data: {} }], { expectedVersion: NO_STREAM });
 * ```
 */
export class PostgresEventStore implements EventStore {
  readonly #client: SqlExecutor;
  readonly #reader: SqlExecutor;
  readonly #table: string;
  readonly #schema: string;
  readonly #statement: AppendStatement;
  readonly #channel: string | undefined;
  readonly #clock: Clock;
  readonly #pageSize: number;
  readonly #readPageSize: number;
  readonly #inline: readonly InlineProjection<SqlTransaction>[];
  readonly #wakeups: AppendWakeups;
  readonly #announcer: Announcer | undefined;
  readonly #groups: AppendGroups | undefined;
  readonly #telemetry: EventStoreTelemetry;

  /**
   * @param client A client, or the caller's transaction (appends then commit with it).
   * @param options See {@link PostgresEventStoreOptions}.
   */
  constructor(client: SqlExecutor, options: PostgresEventStoreOptions = {}) {
    const settings = resolveEventStoreOptions(options);
    const schema = sqlSchema(settings.schema);
    this.#client = client;
    this.#reader = settings.readClient ?? client;
    this.#table = schema.table('events');
    this.#schema = schema.quoted;
    this.#statement = appendStatement(schema);
    this.#channel = settings.notify ? `keel_events_${schema.name}`.slice(0, 63) : undefined;
    this.#clock = settings.clock ?? systemClock;
    this.#pageSize = settings.pageSize;
    this.#readPageSize = settings.readPageSize;
    this.#inline = settings.inlineProjections ?? [];
    this.#wakeups = new AppendWakeups(this.#clock, settings.pollIntervalMs);
    this.#telemetry = new EventStoreTelemetry(schema.name, this.#clock);
    this.#announcer =
      this.#channel === undefined || client.inTransaction
        ? undefined
        : new Announcer(client, this.#channel, this.#clock);
    this.#groups =
      client.inTransaction || this.#inline.length > 0
        ? undefined
        : new AppendGroups(client, groupStatement(schema), settings.maxAppendCalls, this.#announcer);
  }

  appendToStream(
    streamName: string,
    events: readonly NewEvent[],
    options: AppendOptions = {},
  ): Promise<AppendResult> {
    // Options that are not an object are refused inside, as a rejection like every other check.
    const { expectedVersion } = (options as AppendOptions | null) ?? {};
    return this.#telemetry.append(streamName, events, expectedVersion, () =>
      this.#append(streamName, events, options),
    );
  }

  async #append(
    streamName: string,
    events: readonly NewEvent[],
    options: AppendOptions,
  ): Promise<AppendResult> {
    checkOptionsObject(options, 'appendToStream');
    throwIfAborted(options.signal);
    const expected = checkAppend(streamName, options.expectedVersion, events);
    const ids = events.map((event) => eventIdOf(event));
    checkRecordedIds(streamName, ids, expected, []); // refuses an id repeated in the batch
    const { data, metadata } = serializeBatch(streamName, events);
    const request: AppendRequest = {
      table: this.#table,
      statement: this.#statement,
      streamName,
      events,
      ids,
      data,
      metadata,
      expected,
      now: this.#clock.now(),
      notifyChannel: this.#client.inTransaction ? this.#channel : undefined,
    };
    const result = await this.#send(request, options.signal);
    if (result.appended && result.events.length > 0) {
      this.#wakeups.notify();
      // The groups notify for the appends they send (carried in an append's own transaction when
      // they can); an append with inline projections is announced here, after its commit.
      if (this.#groups === undefined) this.#announcer?.announce();
    }
    return result;
  }

  /**
   * Sends an append: with the next group when the store owns its transactions (an empty append
   * only reads the head, so it goes alone), in a transaction of its own with the inline
   * projections, or as one call in the caller's transaction.
   */
  #send(request: AppendRequest, signal: AbortSignal | undefined): Promise<AppendResult> {
    if (this.#groups !== undefined && request.events.length > 0) return this.#groups.append(request, signal);
    if (this.#inline.length === 0) return appendEvents(this.#client, request);
    return this.#client.transaction(
      (tx) => this.#appendWithProjections(tx, request, signal),
      signalOption(signal),
    );
  }

  async #appendWithProjections(
    tx: SqlTransaction,
    request: AppendRequest,
    signal: AbortSignal | undefined,
  ): Promise<AppendResult> {
    const result = await appendEvents(tx, request);
    if (!result.appended || result.events.length === 0) return result;
    const projectionSignal = signal ?? NEVER_ABORTED;
    for (const projection of this.#inline) {
      throwIfAborted(signal);
      await this.#telemetry.project(projection.name, () =>
        projection.apply(result.events, { transaction: tx, signal: projectionSignal }),
      );
    }
    return result;
  }

  async *readStreamPages(
    streamName: string,
    options: ReadStreamOptions = {},
  ): AsyncGenerator<RecordedEvent[]> {
    checkReadStreamOptions(streamName, options);
    throwIfAborted(options.signal);
    const backward = options.direction === 'backward';
    const page = (from: number, limit: number) =>
      this.#streamPage(this.#client, streamName, from, limit, backward, options.signal);
    yield* pageThrough(this.#telemetry.pages('read_stream', streamName, page), {
      from: options.fromVersion ?? (backward ? LAST_VERSION : 1),
      pageSize: options.pageSize ?? this.#readPageSize,
      maxCount: options.maxCount,
      signal: options.signal,
      nextFrom: (last) => last.streamVersion + (backward ? -1 : 1),
    });
  }

  readStream(streamName: string, options: ReadStreamOptions = {}): AsyncIterable<RecordedEvent> {
    return flattenPages(this.readStreamPages(streamName, options));
  }

  async *readAllPages(options: ReadAllOptions = {}): AsyncGenerator<RecordedEvent[]> {
    checkReadAllOptions(options);
    throwIfAborted(options.signal);
    const page = (from: number, limit: number) => this.#allPage(from, limit, options.filter, options.signal);
    yield* pageThrough(this.#telemetry.pages('read_all', undefined, page), {
      from: options.fromPosition ?? 0,
      pageSize: options.pageSize ?? this.#readPageSize,
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
    return streamVersionIn(this.#client, this.#table, streamName);
  }

  async headPosition(options: SignalOptions = {}): Promise<number> {
    checkOptionsObject(options, 'headPosition');
    throwIfAborted(options.signal);
    const { rows } = await this.#reader.query<{ head: unknown }>(
      `SELECT max(global_position) AS head FROM ${this.#table} WHERE global_position < ${settledBound(this.#schema, '1')}`,
      [],
      signalOption(options.signal),
    );
    return toNumber(rows[0]?.head ?? 0);
  }

  subscribeToAll(options: SubscribeToAllOptions = {}): AsyncIterable<RecordedEvent> {
    checkSubscribeToAllOptions(options);
    const pageSize = this.#pageSizeOf(options.pageSize);
    const { filter } = options;
    const source: Omit<CatchUpSource, 'watch'> = {
      readPage: this.#telemetry.subscriptionPages('read_all', undefined, (from, limit, signal) =>
        this.#allPage(from, limit, filter, signal),
      ),
      cursorOf: (event) => event.globalPosition,
      // Only a filtered subscription gains from skipping to the head; others save the query.
      ...(isEmptyFilter(filter) ? {} : { head: (signal: AbortSignal) => this.headPosition({ signal }) }),
    };
    return this.#subscribe(source, { ...options, from: options.fromPosition ?? 0, pageSize });
  }

  subscribeToStream(
    streamName: string,
    options: SubscribeToStreamOptions = {},
  ): AsyncIterable<RecordedEvent> {
    checkSubscribeToStreamOptions(streamName, options);
    const pageSize = this.#pageSizeOf(options.pageSize);
    const source: Omit<CatchUpSource, 'watch'> = {
      readPage: this.#telemetry.subscriptionPages('read_stream', streamName, (from, limit, signal) =>
        this.#streamPage(this.#reader, streamName, from, limit, false, signal),
      ),
      cursorOf: (event) => event.streamVersion,
    };
    return this.#subscribe(source, { ...options, from: options.fromVersion ?? 1, pageSize });
  }

  /**
   * Runs a catch-up subscription that wakes on appends of this store object and, when the
   * client can `LISTEN`, on `NOTIFY`s of other processes. The `LISTEN` starts alongside the
   * first read; the first wait awaits it, and it wakes the subscription once when ready, so an
   * append committed before it was active is read without waiting for a poll.
   */
  async *#subscribe(
    source: Omit<CatchUpSource, 'watch'>,
    options: CatchUpOptions,
  ): AsyncGenerator<RecordedEvent, void, undefined> {
    throwIfAborted(options.signal);
    let unlisten: SqlUnlisten | undefined;
    const client = this.#client as Partial<Pick<SqlClient, 'listen'>>;
    // A failed LISTEN is not fatal: notifications are only a hint, polling still delivers.
    const listening =
      this.#channel !== undefined && typeof client.listen === 'function'
        ? client
            .listen(this.#channel, () => this.#wakeups.notify(), signalOption(options.signal))
            .then(
              (stop) => {
                unlisten = stop;
                this.#wakeups.notify();
              },
              () => undefined,
            )
        : Promise.resolve();
    const watch = (): AppendWatch => {
      const armed = this.#wakeups.watch();
      return {
        wait: async (signal) => {
          await raceAbort(listening, signal);
          return armed.wait(signal);
        },
        dispose: () => armed.dispose(),
      };
    };
    try {
      yield* catchUpSubscription({ ...source, watch }, options);
    } finally {
      // Never waits for a LISTEN still connecting: it is stopped once it is up.
      void listening.then(() => unlisten?.()).catch(() => undefined);
    }
  }

  async #streamPage(
    executor: SqlExecutor,
    streamName: string,
    from: number,
    limit: number,
    backward: boolean,
    signal: AbortSignal | undefined,
  ): Promise<RecordedEvent[]> {
    const order = backward ? '<= $2 ORDER BY stream_version DESC' : '>= $2 ORDER BY stream_version';
    const { rows } = await executor.query<EventRow>(
      `SELECT ${EVENT_COLUMNS} FROM ${this.#table} WHERE stream_name = $1 AND stream_version ${order} LIMIT $3`,
      [streamName, Math.min(from, LAST_VERSION), limit],
      signalOption(signal),
    );
    return rows.map(toRecordedEvent);
  }

  async #allPage(
    from: number,
    limit: number,
    filter: EventFilter | undefined,
    signal: AbortSignal | undefined,
  ): Promise<RecordedEvent[]> {
    const { sql, params } = allPageQuery(this.#table, this.#schema, from, limit, filter);
    const { rows } = await this.#reader.query<EventRow>(sql, params, signalOption(signal));
    return rows.map(toRecordedEvent);
  }

  #pageSizeOf(pageSize: number | undefined): number {
    return pageSize ?? this.#pageSize; // a read's own pageSize is checked by the read checks
  }
}
