import type { DomainEvent, MessageOptions } from '@keel/core';

/**
 * The events an aggregate can raise: a map from event type to the type of its `data`.
 * Declare it with `type` (not `interface`) so it satisfies this constraint.
 *
 * @example
 * ```ts
 * type OrderEvents = {
 *   OrderPlaced: { customerId: string };
 *   OrderConfirmed: { confirmedAt: string };
 * };
 * ```
 */
export type EventMap = Record<string, unknown>;

/**
 * A domain event raised by an aggregate: a core {@link DomainEvent} (`type`, `data`,
 * `metadata`) that also says which aggregate raised it and the aggregate version it produced.
 *
 * `version` is the aggregate's version after applying the event: the first event of an
 * aggregate has version 1, the next 2, and so on. The same facts travel in
 * `metadata.aggregate` (with the stream), which survives transports and is what event bus
 * handlers read: `event.metadata.aggregate?.id`.
 *
 * @typeParam TType - The event type, e.g. `'OrderPlaced'`.
 * @typeParam TData - The event's payload.
 */
export interface AggregateEvent<TType extends string = string, TData = unknown> extends DomainEvent<
  TType,
  TData
> {
  /** The id of the aggregate that raised the event, as a string. */
  readonly aggregateId: string;
  /** The aggregate's type, e.g. `Order`. */
  readonly aggregateType: string;
  /** The aggregate version this event produced (1 for an aggregate's first event). */
  readonly version: number;
}

/**
 * The union of every {@link AggregateEvent} in an {@link EventMap}.
 *
 * @example
 * ```ts
 * type OrderEvent = AggregateEventOf<OrderEvents>;
 * // AggregateEvent<'OrderPlaced', { customerId: string }> | AggregateEvent<'OrderConfirmed', …>
 * ```
 */
export type AggregateEventOf<TEvents extends EventMap> = {
  [TType in keyof TEvents & string]: AggregateEvent<TType, TEvents[TType]>;
}[keyof TEvents & string];

/**
 * One handler per event type: each receives the event's `data` (typed for that type) and the
 * whole event, and changes the aggregate's state. Handlers must not throw for events that were
 * already raised: they only apply facts; rules are checked before `raise()`.
 *
 * A missing handler, or a handler for a type not in the map, is a compile error.
 */
export type EventHandlers<TEvents extends EventMap> = {
  readonly [TType in keyof TEvents & string]: (
    data: TEvents[TType],
    event: AggregateEvent<TType, TEvents[TType]>,
  ) => void;
};

/** Options of `AggregateRoot.raise()`: how the event's core metadata is filled. */
export type RaiseOptions = Pick<MessageOptions, 'causedBy' | 'metadata'>;
