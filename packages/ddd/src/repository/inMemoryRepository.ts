import { ConcurrencyError, NotFoundError, throwIfAborted, ValidationError } from '@keel/core';
import type { EventPublisher } from '@keel/core';
import type { AggregateFactory, AnyAggregateRoot, EventOf, IdOf } from '../aggregate/aggregateTypes.js';
import { EventPublicationError } from '../errors/dddErrors.js';
import { idToString } from '../internal/structural.js';
import type { Specification } from '../specification/specification.js';
import type { DeleteOptions, QueryableRepository, RepositoryReadOptions, SaveOptions } from './repository.js';
import { eventsCausedBy } from './savedEvents.js';

/** A function that receives saved events; the callback form of a core `EventPublisher`. */
export type EventPublisherCallback<TEvent> = (
  events: readonly TEvent[],
  options: { signal?: AbortSignal },
) => void | Promise<void>;

/** Options of {@link InMemoryRepository}. */
export interface InMemoryRepositoryOptions<TAggregate extends AnyAggregateRoot> {
  /**
   * Receives the events of every successful save, in order, after the save is stored: a core
   * `EventPublisher` (such as the cqrs `EventBus`) or a callback. Never called for a failed save.
   * @default undefined (events are not published)
   */
  publisher?: EventPublisher<EventOf<TAggregate>> | EventPublisherCallback<EventOf<TAggregate>>;
}

interface StoredAggregate<TAggregate extends AnyAggregateRoot, TId> {
  readonly id: TId;
  readonly events: EventOf<TAggregate>[];
  /** A private instance kept up to date for queries; never handed out. */
  view: TAggregate;
}

/**
 * A {@link QueryableRepository} held in memory, for tests and prototypes: optimistic
 * concurrency, fresh instances on every load, queries by specification, and publication of
 * saved events.
 *
 * It stores each aggregate's events and rebuilds aggregates by replaying them into
 * `create(id)`, so a loaded aggregate shares nothing with the stored one or with other loads.
 * That relies on the `AggregateRoot` contract: all state changes go through event handlers.
 *
 * Aggregates are keyed by `idString`, so an id finds exactly the aggregates saved under an
 * equal id: value-object ids by structure (`-0` and `0` meet, `NaN` and `null` do not, nor a
 * prop set to `undefined` and a missing one), within the limits described on `idString`.
 *
 * Check and write happen in one synchronous step, so of two concurrent saves of the same
 * loaded version exactly one succeeds; the other rejects with `ConcurrencyError` and changes
 * nothing.
 *
 * @typeParam TAggregate - The aggregate type.
 * @typeParam TId - Its id type.
 * @example
 * ```ts
 * const orders = new InMemoryRepository((id: OrderId) => new Order(id), { publisher: eventBus });
 * await orders.save(Order.place(id, customer));
 * const order = await orders.get(id);
 * ```
 */
export class InMemoryRepository<
  TAggregate extends AnyAggregateRoot,
  TId = IdOf<TAggregate>,
> implements QueryableRepository<TAggregate, TId> {
  readonly #create: AggregateFactory<TAggregate, TId>;
  readonly #publisher: InMemoryRepositoryOptions<TAggregate>['publisher'];
  readonly #records = new Map<string, StoredAggregate<TAggregate, TId>>();

  /**
   * @param create - Builds an empty aggregate for an id, to replay stored events into.
   * @param options - See {@link InMemoryRepositoryOptions}.
   * @throws {ValidationError} when `create` is not a function or `publisher` cannot publish.
   */
  constructor(
    create: AggregateFactory<TAggregate, TId>,
    options: InMemoryRepositoryOptions<TAggregate> = {},
  ) {
    if (typeof create !== 'function') {
      throw invalidOption('create', `must be a function (id) => aggregate; got ${typeof create}`);
    }
    const { publisher } = options;
    const publishes = typeof publisher === 'function' || typeof publisher?.publish === 'function';
    if (publisher !== undefined && !publishes) {
      throw invalidOption('publisher', 'must be an EventPublisher (with publish()) or a function');
    }
    this.#create = create;
    this.#publisher = publisher;
  }

  /** How many aggregates are stored. */
  get size(): number {
    return this.#records.size;
  }

  /**
   * Loads a fresh instance of the aggregate.
   *
   * @throws {NotFoundError} when none is stored under `id`.
   */
  async get(id: TId, options: RepositoryReadOptions = {}): Promise<TAggregate> {
    const found = await this.find(id, options);
    if (found === undefined) throw new NotFoundError(this.#create(id).aggregateType, idToString(id));
    return found;
  }

  /** Loads a fresh instance of the aggregate, or `undefined` when none is stored. */
  async find(id: TId, options: RepositoryReadOptions = {}): Promise<TAggregate | undefined> {
    throwIfAborted(options.signal);
    const record = this.#records.get(idToString(id));
    return record === undefined ? undefined : this.#rehydrate(record);
  }

  /**
   * Stores the aggregate's uncommitted events (as caused by `options.causedBy` when given, see
   * {@link SaveOptions.causedBy}), marks it committed, then publishes the events. An aggregate
   * without uncommitted events is only checked for staleness.
   *
   * @throws {ConcurrencyError} when the stored version is not `aggregate.persistedVersion`;
   * nothing is stored or published.
   * @throws {EventPublicationError} when the publisher fails; the save itself is stored.
   */
  async save(aggregate: TAggregate, options: SaveOptions = {}): Promise<void> {
    throwIfAborted(options.signal);
    const key = aggregate.idString;
    const record = this.#records.get(key);
    const actual = record?.view.version ?? 0;
    if (actual !== aggregate.persistedVersion) {
      throw new ConcurrencyError({
        subject: `${aggregate.aggregateType} ${key}`,
        expected: aggregate.persistedVersion,
        actual,
      });
    }
    const events = eventsCausedBy(
      aggregate.uncommittedEvents as readonly EventOf<TAggregate>[],
      options.causedBy,
    );
    if (events.length === 0) return;
    this.#write(key, aggregate.id as TId, record, events);
    aggregate.markCommitted();
    await this.#publish(`${aggregate.aggregateType} "${key}"`, events, options.signal);
  }

  /**
   * Removes an aggregate; resolves whether one was stored.
   *
   * @throws {ConcurrencyError} when `expectedVersion` is given and differs from the stored version.
   */
  async delete(id: TId, options: DeleteOptions = {}): Promise<boolean> {
    throwIfAborted(options.signal);
    const key = idToString(id);
    const record = this.#records.get(key);
    const actual = record?.view.version ?? 0;
    if (options.expectedVersion !== undefined && options.expectedVersion !== actual) {
      const kind = record?.view.aggregateType ?? this.#create(id).aggregateType;
      throw new ConcurrencyError({ subject: `${kind} ${key}`, expected: options.expectedVersion, actual });
    }
    return this.#records.delete(key);
  }

  /** Fresh instances of every stored aggregate that satisfies `specification`, in insertion order. */
  async query(
    specification: Specification<TAggregate>,
    options: RepositoryReadOptions = {},
  ): Promise<TAggregate[]> {
    throwIfAborted(options.signal);
    return [...this.#records.values()]
      .filter((record) => specification.isSatisfiedBy(record.view))
      .map((record) => this.#rehydrate(record));
  }

  /** How many stored aggregates satisfy `specification`. */
  async count(
    specification: Specification<TAggregate>,
    options: RepositoryReadOptions = {},
  ): Promise<number> {
    throwIfAborted(options.signal);
    let count = 0;
    for (const record of this.#records.values()) if (specification.isSatisfiedBy(record.view)) count += 1;
    return count;
  }

  #write(
    key: string,
    id: TId,
    record: StoredAggregate<TAggregate, TId> | undefined,
    events: readonly EventOf<TAggregate>[],
  ): void {
    const next = record ?? { id, events: [], view: this.#create(id) };
    try {
      // Replay into the private view first: if a handler throws, nothing is stored.
      next.view.loadFromHistory(events);
    } catch (error) {
      // The view may hold part of the batch; rebuild it from what is actually stored.
      if (record !== undefined) record.view = this.#rehydrate(record);
      throw error;
    }
    next.events.push(...events);
    if (record === undefined) this.#records.set(key, next);
  }

  #rehydrate(record: StoredAggregate<TAggregate, TId>): TAggregate {
    return this.#create(record.id).loadFromHistory(record.events);
  }

  async #publish(
    subject: string,
    events: readonly EventOf<TAggregate>[],
    signal?: AbortSignal,
  ): Promise<void> {
    const publisher = this.#publisher;
    if (publisher === undefined) return;
    try {
      if (typeof publisher === 'function') await publisher(events, signal === undefined ? {} : { signal });
      else await publisher.publish(events, signal === undefined ? {} : { signal });
    } catch (error) {
      throw new EventPublicationError(subject, events.length, { cause: error });
    }
  }
}

function invalidOption(name: string, message: string): ValidationError {
  return new ValidationError([{ path: [name], message }], { subject: 'InMemoryRepository options' });
}
