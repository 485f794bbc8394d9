import { describeValue, optionNumber, optionObject } from '@keel/core';
import type { OptionProblem } from '@keel/core';

/** Checks a `budget` option: a `RetryBudget` from `retryBudget()`. `undefined` passes (no budget). */
export function optionBudget(value: unknown): OptionProblem {
  return optionObject(value, 'a RetryBudget (from retryBudget())', ['recordCall', 'tryWithdraw']);
}

/** Checks a `backoff` option: a `Backoff` from one of the backoff factories. `undefined` passes. */
export function optionBackoff(value: unknown): OptionProblem {
  return optionObject(value, 'a Backoff (e.g. exponentialBackoff(200))', ['begin']);
}

/**
 * Checks an option that is either a number of ms in `range` or a value of another kind (a
 * function, a `Backoff`), as `breakDuration` and chaos `latency` are. `undefined` passes.
 */
export function optionNumberOr(
  value: unknown,
  range: Parameters<typeof optionNumber>[1],
  other: { kind: string; accepts: (value: unknown) => boolean },
): OptionProblem {
  if (value === undefined || typeof value === 'number') return optionNumber(value, range);
  return other.accepts(value)
    ? undefined
    : `must be a number of ms or ${other.kind} (got ${describeValue(value)}).`;
}
