import type { Entity } from '../entity/entity.js';
import type { AggregateEventOf } from './aggregateEvent.js';
import type { AggregateRoot } from './aggregateRoot.js';

/**
 * The saved state of an aggregate at a version, for snapshot stores.
 *
 * @typeParam TState - What `snapshotState()` returns; keep it JSON-serialisable.
 */
export interface AggregateSnapshot<TState> {
  /** The aggregate id, as a string. */
  readonly aggregateId: string;
  /** The aggregate type. */
  readonly aggregateType: string;
  /** The version the state reflects. */
  readonly version: number;
  /** The state returned by `snapshotState()`. */
  readonly state: TState;
}

/** Any aggregate root, whatever its id and events; use as a generic constraint. */
export type AnyAggregateRoot = AggregateRoot<any, any, any>;

/** The id type of an aggregate class instance. */
export type IdOf<TAggregate> = TAggregate extends Entity<infer TId> ? TId : never;

/** The event map of an aggregate. */
export type EventsOf<TAggregate> =
  TAggregate extends AggregateRoot<any, infer TEvents, any> ? TEvents : never;

/**
 * The snapshot state of an aggregate (its third type argument), `never` when it declares none.
 * Repositories use it to refuse snapshot options for an aggregate that cannot be snapshotted.
 */
export type SnapshotStateOf<TAggregate> =
  TAggregate extends AggregateRoot<any, any, infer TSnapshot> ? TSnapshot : never;

/** The union of events an aggregate raises. */
export type EventOf<TAggregate extends AnyAggregateRoot> = AggregateEventOf<EventsOf<TAggregate>>;

/** A function that creates an empty aggregate for an id, for repositories to replay into. */
export type AggregateFactory<TAggregate extends AnyAggregateRoot, TId = IdOf<TAggregate>> = (
  id: TId,
) => TAggregate;
