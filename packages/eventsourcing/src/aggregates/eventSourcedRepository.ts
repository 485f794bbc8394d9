import {
  assertOptions,
  noopLogger,
  NotFoundError,
  optionClock,
  optionFunction,
  optionInteger,
  optionLogger,
  optionObject,
  telemetryEnabled,
  throwIfAborted,
  withSpan,
} from '@keel/core';
import type { Logger, TelemetrySpan } from '@keel/core';
import { EventPublicationError, eventsCausedBy } from '@keel/ddd';
import type {
  AggregateFactory,
  AnyAggregateRoot,
  EventOf,
  IdOf,
  Repository,
  RepositoryReadOptions,
  SaveOptions,
} from '@keel/ddd';
import { DeleteNotSupportedError, SnapshotsNotSupportedError } from '../errors/errors.js';
import type { EventStore } from '../eventStore/eventStore.js';
import { pagesAfterSnapshot, replaceSnapshot, snapshotIfDue } from '../snapshots/snapshotLifecycle.js';
import { checkSnapshotOptions, snapshotSchemaVersion } from '../snapshots/snapshotPolicy.js';
import type { SnapshotOptions } from '../snapshots/snapshotPolicy.js';
import { inStream, toAggregateEvent, toNewEvent } from './aggregateEvents.js';
import { logIgnoredSnapshot, snapshotErrorReporter } from './repositorySnapshotLog.js';
import { UPDATE_DEFAULTS, updateSettingsOf, updateWithRetries } from './updateAggregate.js';
import type { AggregateChange, UpdateOptions } from './updateAggregate.js';
import type { EventSourcedRepositoryOptions } from './eventSourcedRepositoryOptions.js';

/** The id of the aggregate built at construction to check that it supports configured snapshots. */
const SNAPSHOT_PROBE_ID = 'keel-snapshot-probe';

/** Where a loaded aggregate's latest usable snapshot is, for the snapshot policy. */
const snapshotVersions = new WeakMap<object, number>();

/**
 * A `@keel/ddd` {@link Repository} that stores each aggregate as an event stream: `find`
 * replays the stream (from a snapshot when configured), `save` appends the uncommitted events
 * expecting the aggregate's `persistedVersion`, then publishes them.
 *
 * @example
 * ```ts
 * const accounts = new EventSourcedRepository(store, (id: string) => new Account(id), {
 *   snapshots: { store: new InMemorySnapshotStore(), policy: everyNEvents(100) },
 * });
 * ```
 */
export class EventSourcedRepository<
  TAggregate extends AnyAggregateRoot,
  TId = IdOf<TAggregate>,
> implements Repository<TAggregate, TId> {
  readonly #store: EventStore;
  readonly #create: AggregateFactory<TAggregate, TId>;
  readonly #options: EventSourcedRepositoryOptions<TAggregate, TId>;
  readonly #snapshots: SnapshotOptions<TAggregate> | undefined;
  readonly #logger: Logger;
  readonly #maxConflictRetries: number;
  #snapshotsChecked = false;

  /**
   * @param store The event store (wrap it with `withUpcasting` to upcast old events).
   * @param create Builds an empty aggregate for an id, to replay into.
   * @param options See {@link EventSourcedRepositoryOptions}.
   * @throws ValidationError when an option is of the wrong kind or `snapshots.schemaVersion` is
   *   not an integer from 1 to 2^31 - 1.
   * @throws SnapshotsNotSupportedError when `snapshots` is set but the aggregate does not
   *   support snapshots: here, from an aggregate built with a probe id; when `create` refuses
   *   that id, from the first load or save instead.
   */
  constructor(
    store: EventStore,
    create: AggregateFactory<TAggregate, TId>,
    options: EventSourcedRepositoryOptions<TAggregate, TId> = {},
  ) {
    assertOptions('EventSourcedRepository', {
      create: optionFunction(create, true),
      streamName: optionFunction(options.streamName),
      publisher: optionObject(options.publisher, 'an EventPublisher', ['publish']),
      logger: optionLogger(options.logger, { uses: ['debug', 'info', 'warn'] }),
      maxConflictRetries: optionInteger(options.maxConflictRetries, { min: 0 }),
      policy: optionObject(options.policy, 'a Policy', ['execute']),
      clock: optionClock(options.clock, ['sleep']),
    });
    const snapshots = options.snapshots as SnapshotOptions<TAggregate> | undefined;
    checkSnapshotOptions(snapshots as SnapshotOptions<never> | undefined);
    this.#store = store;
    this.#create = create;
    this.#options = options;
    this.#logger = options.logger ?? noopLogger;
    this.#snapshots =
      snapshots === undefined
        ? undefined
        : { ...snapshots, onError: snapshotErrorReporter(snapshots as SnapshotOptions<never>, this.#logger) };
    this.#maxConflictRetries = options.maxConflictRetries ?? UPDATE_DEFAULTS.maxConflictRetries;
    if (this.#snapshots !== undefined) this.#probeSnapshotSupport();
  }

  /**
   * Refuses snapshot options at construction when an aggregate built with a probe id cannot be
   * snapshotted. A factory that refuses the probe id (it validates ids) leaves the check to the
   * first aggregate built for a load or save.
   */
  #probeSnapshotSupport(): void {
    let probe: TAggregate | undefined;
    try {
      probe = this.#create(SNAPSHOT_PROBE_ID as TId);
    } catch {
      return;
    }
    if (probe?.supportsSnapshots === false) throw new SnapshotsNotSupportedError(probe.aggregateType);
    if (probe?.supportsSnapshots === true) this.#snapshotsChecked = true;
  }

  /** The stream name of the aggregate with `id`. */
  streamNameOf(id: TId): string {
    const empty = this.#empty(id);
    return this.#options.streamName?.(id, empty.aggregateType) ?? `${empty.aggregateType}-${empty.idString}`;
  }

  /**
   * Loads the aggregate.
   *
   * @throws NotFoundError when its stream has no events.
   */
  async get(id: TId, options: RepositoryReadOptions = {}): Promise<TAggregate> {
    const found = await this.find(id, options);
    if (found !== undefined) return found;
    const empty = this.#empty(id);
    throw new NotFoundError(empty.aggregateType, empty.idString);
  }

  /**
   * Loads the aggregate, or `undefined` when its stream has no events. With snapshots, starts
   * from the latest one and replays only later events; a snapshot with another schema version,
   * or one ahead of its stream (a version above the stream's), is ignored, the aggregate rebuilt
   * from every event and a fresh snapshot written in its place.
   */
  find(id: TId, options: RepositoryReadOptions = {}): Promise<TAggregate | undefined> {
    if (!telemetryEnabled()) return this.#find(id, options, undefined);
    const empty = this.#empty(id);
    const attributes = {
      'keel.aggregate.type': empty.aggregateType,
      'keel.stream.name': this.streamNameOf(id),
    };
    return withSpan(`load ${empty.aggregateType}`, { attributes }, (span) => this.#find(id, options, span));
  }

  async #find(
    id: TId,
    options: RepositoryReadOptions,
    span: TelemetrySpan | undefined,
  ): Promise<TAggregate | undefined> {
    throwIfAborted(options.signal);
    const signalOption = options.signal === undefined ? {} : { signal: options.signal };
    const aggregate = this.#empty(id);
    const streamName = this.streamNameOf(id);
    const snapshots = this.#snapshots;
    const snapshot = await this.#loadSnapshot(streamName, signalOption);
    const after =
      snapshot === undefined ||
      snapshots === undefined ||
      snapshot.schemaVersion !== snapshotSchemaVersion(snapshots)
        ? undefined
        : await pagesAfterSnapshot(this.#store, streamName, snapshot.version, signalOption);
    if (snapshot !== undefined && after === undefined)
      logIgnoredSnapshot(this.#logger, streamName, snapshot, snapshotSchemaVersion(snapshots));
    if (after !== undefined && snapshot !== undefined) {
      aggregate.loadFromSnapshot({
        aggregateId: aggregate.idString,
        aggregateType: aggregate.aggregateType,
        version: snapshot.version,
        state: snapshot.state,
      });
    }
    const pages = after ?? this.#store.readStreamPages(streamName, { fromVersion: 1, ...signalOption });
    for await (const page of pages) {
      aggregate.loadFromHistory(page.map((event) => toAggregateEvent(event, aggregate)));
    }
    let usable = after === undefined ? 0 : (snapshot?.version ?? 0);
    if (snapshot !== undefined && after === undefined && snapshots !== undefined) {
      const state = aggregate.version === 0 ? undefined : aggregate.toSnapshot().state;
      const saved = await replaceSnapshot(
        snapshots,
        streamName,
        snapshot.version,
        aggregate.version,
        state as TAggregate,
        signalOption,
      );
      if (saved) usable = aggregate.version;
    }
    span?.setAttributes({ 'keel.aggregate.version': aggregate.version, 'keel.snapshot.version': usable });
    if (aggregate.version === 0) return undefined;
    snapshotVersions.set(aggregate, usable);
    return aggregate;
  }

  /**
   * Appends the aggregate's uncommitted events (as caused by `options.causedBy` when given: see
   * `SaveOptions` of `@keel/ddd`), marks it committed, takes a snapshot when the policy says so,
   * then publishes the events.
   *
   * @throws ConcurrencyError when the stream is not at `aggregate.persistedVersion`; nothing is stored.
   * @throws EventPublicationError (from `@keel/ddd`) when publishing fails; the events are stored.
   */
  save(aggregate: TAggregate, options: SaveOptions = {}): Promise<void> {
    if (!telemetryEnabled()) return this.#save(aggregate, options);
    const attributes = {
      'keel.aggregate.type': aggregate.aggregateType,
      'keel.stream.name': this.streamNameOf(aggregate.id as TId),
      'keel.event.count': aggregate.uncommittedEvents.length,
      'keel.expected_version': aggregate.persistedVersion,
    };
    return withSpan(`save ${aggregate.aggregateType}`, { attributes }, () => this.#save(aggregate, options));
  }

  async #save(aggregate: TAggregate, options: SaveOptions): Promise<void> {
    throwIfAborted(options.signal);
    const signalOption = options.signal === undefined ? {} : { signal: options.signal };
    const raised = eventsCausedBy(
      aggregate.uncommittedEvents as readonly EventOf<TAggregate>[],
      options.causedBy,
    );
    if (raised.length === 0) return;
    const streamName = this.streamNameOf(aggregate.id as TId);
    const events = raised.map((event) => inStream(event, streamName));
    await this.#store.appendToStream(streamName, events.map(toNewEvent), {
      expectedVersion: aggregate.persistedVersion,
      ...signalOption,
    });
    aggregate.markCommitted();
    const snapshotVersion = snapshotVersions.get(aggregate) ?? 0;
    const context = { streamName, version: aggregate.version, snapshotVersion, appended: events.length };
    const snapshots = this.#snapshots;
    const after = await snapshotIfDue(
      snapshots === undefined ? undefined : this.#adapt(snapshots),
      { ...context, state: aggregate },
      signalOption,
    );
    snapshotVersions.set(aggregate, after);
    await this.#publish(`${aggregate.aggregateType} "${aggregate.idString}"`, events, signalOption);
  }

  /**
   * Loads the aggregate, applies `change` to it and saves it; when another writer saved first
   * (a `ConcurrencyError`), reloads it and applies `change` again, up to `maxConflictRetries`
   * times, so callers need no reload-and-retry loop. `change` calls the aggregate's domain
   * methods and may run more than once: keep effects outside the aggregate out of it.
   *
   * @returns The saved aggregate.
   * @throws NotFoundError when the aggregate does not exist (unless `createIfMissing`).
   * @throws ConcurrencyError when every attempt conflicted.
   * @throws ValidationError when an option is out of range.
   * @example
   * ```ts
   * await accounts.update('acc-42', (account) => account.deposit(50), { maxConflictRetries: 5 });
   * ```
   */
  async update(
    id: TId,
    change: AggregateChange<TAggregate>,
    options: UpdateOptions = {},
  ): Promise<TAggregate> {
    const settings = updateSettingsOf(change, options, {
      maxConflictRetries: this.#maxConflictRetries,
      policy: this.#options.policy,
      logger: this.#logger,
      clock: this.#options.clock,
    });
    const target = {
      find: (key: TId, read: { signal: AbortSignal }) => this.find(key, read),
      save: (aggregate: TAggregate, write: { signal: AbortSignal }) => this.save(aggregate, write),
      empty: (key: TId) => this.#empty(key),
    };
    if (!telemetryEnabled()) return updateWithRetries(target, id, change, settings, undefined);
    const empty = this.#empty(id);
    const attributes = {
      'keel.aggregate.type': empty.aggregateType,
      'keel.stream.name': this.streamNameOf(id),
    };
    return withSpan(`update ${empty.aggregateType}`, { attributes }, (span) =>
      updateWithRetries(target, id, change, settings, span),
    );
  }

  /**
   * Not supported: an event-sourced aggregate's history is kept.
   *
   * @throws DeleteNotSupportedError always.
   */
  async delete(id: TId): Promise<boolean> {
    throw new DeleteNotSupportedError(`Stream "${this.streamNameOf(id)}"`);
  }

  async #loadSnapshot(streamName: string, signalOption: { signal?: AbortSignal }) {
    return this.#snapshots?.store.load(streamName, signalOption);
  }

  /** Builds an empty aggregate; the first one built checks that it supports configured snapshots. */
  #empty(id: TId): TAggregate {
    const aggregate = this.#create(id);
    if (!this.#snapshotsChecked && this.#snapshots !== undefined) {
      if (!aggregate.supportsSnapshots) throw new SnapshotsNotSupportedError(aggregate.aggregateType);
      this.#snapshotsChecked = true;
    }
    return aggregate;
  }

  /** Snapshot options whose state is the aggregate's snapshot state, for the policy's saver. */
  #adapt(snapshots: SnapshotOptions<TAggregate>): SnapshotOptions<TAggregate> {
    return {
      ...snapshots,
      store: {
        load: (name, options) => snapshots.store.load(name, options),
        delete: (name, options) => snapshots.store.delete(name, options),
        save: (snapshot, options) =>
          snapshots.store.save(
            { ...snapshot, state: (snapshot.state as TAggregate).toSnapshot().state },
            options,
          ),
      },
    };
  }

  async #publish(
    subject: string,
    events: readonly EventOf<TAggregate>[],
    signalOption: { signal?: AbortSignal },
  ) {
    const publisher = this.#options.publisher;
    if (publisher === undefined) return;
    try {
      await publisher.publish(events, signalOption);
    } catch (error) {
      throw new EventPublicationError(subject, events.length, { cause: error });
    }
  }
}
