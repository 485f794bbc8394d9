import { expect } from 'vitest';
import { decidedEvents } from '../decider/decider.js';
import type { DecidedEvent, Decider } from '../decider/decider.js';

/** A constructor of errors, for `thenThrows`. */
export type ErrorClass<TError extends Error = Error> = abstract new (...args: any[]) => TError;

/** The last step of a specification: what should come out. */
export interface SpecificationOutcome<TEvent extends DecidedEvent, TState> {
  /** Asserts the command produced exactly these events (compared by `type` and `data`). */
  then(expected: readonly TEvent[]): void;
  /** Asserts the command was rejected with an instance of `errorType`, then runs `check` on it. */
  thenThrows<TError extends Error>(errorType: ErrorClass<TError>, check?: (error: TError) => void): void;
  /** Asserts the state after the produced events (deep equality). */
  thenState(expected: TState): void;
}

/** The middle step: which command runs on the given history. */
export interface DeciderGiven<TCommand, TState, TEvent extends DecidedEvent> {
  when(command: TCommand): SpecificationOutcome<TEvent, TState>;
}

/** A given/when/then specification for a {@link Decider}. */
export interface DeciderSpecification<TCommand, TState, TEvent extends DecidedEvent> {
  given(events?: readonly TEvent[]): DeciderGiven<TCommand, TState, TEvent>;
}

/** Compares events by type and data only (ids and metadata differ run to run). */
export function shapeOf(
  events: readonly { readonly type: string; readonly data: unknown }[],
): { type: string; data: unknown }[] {
  return events.map((event) => ({ type: event.type, data: event.data }));
}

/** Asserts that `run` threw an instance of `errorType`, then runs `check`. */
export function assertThrows<TError extends Error>(
  run: () => unknown,
  errorType: ErrorClass<TError>,
  check?: (error: TError) => void,
): void {
  let thrown: unknown;
  let threw = false;
  try {
    run();
  } catch (error) {
    threw = true;
    thrown = error;
  }
  expect(threw, `expected the command to throw ${errorType.name}, but it succeeded`).toBe(true);
  expect(thrown).toBeInstanceOf(errorType);
  check?.(thrown as TError);
}

/**
 * Given/when/then for a decider: replay the given events, decide the command, compare.
 * Runs synchronously; call it inside a vitest `it`.
 *
 * @example
 * ```ts
 * const spec = deciderSpec(accountDecider);
 * spec.given([opened]).when({ type: 'Withdraw', amount: 500 }).thenThrows(DomainRuleViolation);
 * spec.given([opened]).when({ type: 'Deposit', amount: 5 }).then([{ type: 'Deposited', data: { amount: 5 } }]);
 * ```
 */
export function deciderSpec<TCommand, TState, TEvent extends DecidedEvent>(
  decider: Decider<TCommand, TState, TEvent>,
): DeciderSpecification<TCommand, TState, TEvent> {
  return {
    given: (events = []) => ({
      when: (command) => {
        const state = events.reduce(
          (current, event) => decider.evolve(current, event),
          decider.initialState(),
        );
        const run = () => decidedEvents(decider.decide(command, state));
        return {
          then: (expected) => expect(shapeOf(run())).toEqual(shapeOf(expected)),
          thenThrows: (errorType, check) => assertThrows(run, errorType, check),
          thenState: (expected) =>
            expect(run().reduce((current, event) => decider.evolve(current, event), state)).toEqual(expected),
        };
      },
    }),
  };
}
