import { createMetadata } from '@keel/core';
import type { AnyAggregateRoot, EventOf } from '@keel/ddd';
import type { DecidedEvent } from '../decider/decider.js';
import { assertEqual, assertThrows, shapeOf } from './deciderSpec.js';
import type { ErrorClass } from './deciderSpec.js';

/** The outcome step of an aggregate specification. */
export interface AggregateOutcome<TAggregate extends AnyAggregateRoot> {
  /**
   * Asserts the action raised exactly these events (compared by `type` and `data`).
   * @throws {SpecAssertionError} when they differ.
   */
  then(expected: readonly DecidedEvent[]): void;
  /**
   * Asserts the action threw an instance of `errorType`, then runs `check` on it.
   * @throws {SpecAssertionError} when it succeeded or threw something else.
   */
  thenThrows<TError extends Error>(errorType: ErrorClass<TError>, check?: (error: TError) => void): void;
  /** Runs `check` on the aggregate after the action, for state assertions. */
  thenAggregate(check: (aggregate: TAggregate) => void): void;
}

/** The middle step: the action to run on the aggregate rebuilt from the given events. */
export interface AggregateGiven<TAggregate extends AnyAggregateRoot> {
  /**
   * Runs `action` on the aggregate. When the action returns an aggregate (a static factory
   * such as `Account.open(...)`), that one is checked instead.
   */
  when(action: (aggregate: TAggregate) => unknown): AggregateOutcome<TAggregate>;
}

/** A given/when/then specification for `@keel/ddd` aggregates. */
export interface AggregateSpecification<TAggregate extends AnyAggregateRoot> {
  given(events?: readonly DecidedEvent[]): AggregateGiven<TAggregate>;
}

/**
 * Given/when/then for an event-sourced `AggregateRoot`: replay the given events into a fresh
 * aggregate, run an action, compare the raised (uncommitted) events. Needs no test runner: a
 * failed expectation throws a {@link SpecAssertionError}.
 *
 * @param create Builds an empty aggregate (e.g. `() => new Account('a-1')`).
 * @example
 * ```ts
 * const spec = aggregateSpec(() => new Account('a-1'));
 * spec.given([opened]).when((account) => account.deposit(5)).then([{ type: 'Deposited', data: { amount: 5 } }]);
 * ```
 */
export function aggregateSpec<TAggregate extends AnyAggregateRoot>(
  create: () => TAggregate,
): AggregateSpecification<TAggregate> {
  return {
    given: (events = []) => ({
      when: (action) => {
        const run = (): TAggregate => {
          const aggregate = create();
          aggregate.loadFromHistory(events.map((event, index) => toHistory(aggregate, event, index)));
          const returned = action(aggregate);
          return isAggregate(returned) ? (returned as TAggregate) : aggregate;
        };
        return {
          then: (expected) =>
            assertEqual('the raised events', shapeOf(run().uncommittedEvents), shapeOf(expected)),
          thenThrows: (errorType, check) => assertThrows(run, errorType, check),
          thenAggregate: (check) => check(run()),
        };
      },
    }),
  };
}

function toHistory(
  aggregate: AnyAggregateRoot,
  event: DecidedEvent,
  index: number,
): EventOf<AnyAggregateRoot> {
  return {
    type: event.type,
    data: event.data,
    metadata: createMetadata(),
    aggregateId: aggregate.idString,
    aggregateType: aggregate.aggregateType,
    version: index + 1,
  } as EventOf<AnyAggregateRoot>;
}

function isAggregate(value: unknown): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    'uncommittedEvents' in value &&
    'loadFromHistory' in value &&
    typeof (value as { markCommitted?: unknown }).markCommitted === 'function'
  );
}
