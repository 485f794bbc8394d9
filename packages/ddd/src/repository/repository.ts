import type { Message } from '@keel/core';
import type { AnyAggregateRoot, IdOf } from '../aggregate/aggregateTypes.js';
import type { Specification } from '../specification/specification.js';

/** Options of repository reads. */
export interface RepositoryReadOptions {
  /** Stops waiting when aborted; the call rejects with the abort reason. */
  signal?: AbortSignal;
}

/** Options of {@link Repository.save}. */
export interface SaveOptions {
  /** Stops waiting when aborted (checked before anything is written). */
  signal?: AbortSignal;
  /**
   * The message this change answers, usually the command being handled. The events of the save
   * that name no cause of their own are stored and published as caused by it: its correlation
   * id, its id as their causation id, its tenant when they name none. This is how an event bus
   * that tells nested publishes by their causes (the default of `@keel/cqrs`) knows that the
   * events a command handler saves belong to the delivery of the event whose handler sent the
   * command, so they are not queued behind it.
   * @default undefined (events keep the causes they were raised with)
   */
  causedBy?: Pick<Message, 'metadata'> | undefined;
}

/** Options of {@link Repository.delete}. */
export interface DeleteOptions {
  /** When set, deletes only if the stored version equals it; otherwise a `ConcurrencyError`. */
  expectedVersion?: number;
  /** Stops waiting when aborted (checked before anything is deleted). */
  signal?: AbortSignal;
}

/**
 * Loads and saves whole aggregates by id, with optimistic concurrency. Implemented by
 * `InMemoryRepository` here and by event-sourced and database repositories elsewhere.
 *
 * Contract:
 * - `get` rejects with `NotFoundError` when nothing is stored; `find` resolves `undefined`.
 * - Every load returns a fresh instance; changing it changes nothing stored until `save`.
 * - `save` succeeds only if the stored version equals the aggregate's `persistedVersion`;
 *   otherwise it rejects with `ConcurrencyError` and stores nothing. On success it calls
 *   `markCommitted()` and then publishes the saved events (if a publisher is configured).
 *
 * @typeParam TAggregate - The aggregate type.
 * @typeParam TId - Its id type (inferred from the aggregate by default).
 */
export interface Repository<TAggregate extends AnyAggregateRoot, TId = IdOf<TAggregate>> {
  /**
   * Loads an aggregate.
   *
   * @throws {NotFoundError} when no aggregate with this id is stored.
   */
  get(id: TId, options?: RepositoryReadOptions): Promise<TAggregate>;
  /** Loads an aggregate, or resolves `undefined` when none is stored. */
  find(id: TId, options?: RepositoryReadOptions): Promise<TAggregate | undefined>;
  /**
   * Stores the aggregate's uncommitted events/state and publishes its events.
   *
   * @throws {ConcurrencyError} when the stored version is not the aggregate's `persistedVersion`.
   */
  save(aggregate: TAggregate, options?: SaveOptions): Promise<void>;
  /**
   * Removes an aggregate; resolves `true` if one was removed, `false` if none was stored.
   *
   * @throws {ConcurrencyError} when `expectedVersion` is given and differs from the stored one.
   */
  delete(id: TId, options?: DeleteOptions): Promise<boolean>;
}

/**
 * A {@link Repository} that can also select aggregates by {@link Specification}.
 * Adapters translate the specification's `describe()` tree into their query language.
 */
export interface QueryableRepository<
  TAggregate extends AnyAggregateRoot,
  TId = IdOf<TAggregate>,
> extends Repository<TAggregate, TId> {
  /** Every stored aggregate that satisfies `specification`, in insertion order. */
  query(specification: Specification<TAggregate>, options?: RepositoryReadOptions): Promise<TAggregate[]>;
  /** How many stored aggregates satisfy `specification`. */
  count(specification: Specification<TAggregate>, options?: RepositoryReadOptions): Promise<number>;
}
