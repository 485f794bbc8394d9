import { decidedEvents } from '../decider/decider.js';
import type { DecidedEvent, Decider } from '../decider/decider.js';
import { SpecAssertionError } from './specAssertionError.js';
import { renderValue, valuesEqual } from '@keel/core/testing';

/** A constructor of errors, for `thenThrows`. */
export type ErrorClass<TError extends Error = Error> = abstract new (...args: any[]) => TError;

/** The last step of a specification: what should come out. */
export interface SpecificationOutcome<TEvent extends DecidedEvent, TState> {
  /**
   * Asserts the command produced exactly these events (compared by `type` and `data`).
   * @throws {SpecAssertionError} when they differ.
   */
  then(expected: readonly TEvent[]): void;
  /**
   * Asserts the command was rejected with an instance of `errorType`, then runs `check` on it.
   * @throws {SpecAssertionError} when it succeeded or threw something else.
   */
  thenThrows<TError extends Error>(errorType: ErrorClass<TError>, check?: (error: TError) => void): void;
  /**
   * Asserts the state after the produced events (deep equality, as vitest's `toEqual`).
   * @throws {SpecAssertionError} when it differs.
   */
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

/**
 * Throws a {@link SpecAssertionError} saying `what` differs unless `actual` equals `expected`
 * (compared as vitest's `toEqual` does).
 */
export function assertEqual(what: string, actual: unknown, expected: unknown): void {
  if (valuesEqual(actual, expected)) return;
  throw new SpecAssertionError(
    `Expected ${what} to be ${renderValue(expected)} but got ${renderValue(actual)}.`,
    { expected, actual },
  );
}

/**
 * Asserts that `run` threw an instance of `errorType`, then runs `check`.
 *
 * @throws {SpecAssertionError} when `run` returned, or threw something else (kept as `cause`).
 */
export function assertThrows<TError extends Error>(
  run: () => unknown,
  errorType: ErrorClass<TError>,
  check?: (error: TError) => void,
): void {
  let returned: unknown;
  try {
    returned = run();
  } catch (error) {
    if (error instanceof errorType) {
      check?.(error);
      return;
    }
    throw new SpecAssertionError(
      `Expected ${errorType.name} to be thrown but got ${describeThrown(error)}.`,
      { expected: errorType.name, actual: error, cause: error },
    );
  }
  throw new SpecAssertionError(
    `Expected ${errorType.name} to be thrown but it succeeded with ${renderValue(returned)}.`,
    { expected: errorType.name, actual: returned },
  );
}

function describeThrown(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : renderValue(error);
}

/**
 * Given/when/then for a decider: replay the given events, decide the command, compare.
 * Runs synchronously and needs no test runner: a failed expectation throws a
 * {@link SpecAssertionError} with `expected` and `actual`, so it works inside a vitest, Jest,
 * Mocha or `node:test` test alike.
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
          then: (expected) => assertEqual('the produced events', shapeOf(run()), shapeOf(expected)),
          thenThrows: (errorType, check) => assertThrows(run, errorType, check),
          thenState: (expected) =>
            assertEqual(
              'the state after the produced events',
              run().reduce((current, event) => decider.evolve(current, event), state),
              expected,
            ),
        };
      },
    }),
  };
}
