import {
  assertOptions,
  optionClock,
  optionInteger,
  optionNumber,
  optionRatio,
  systemClock,
  withDefaults,
} from '@keel/core';
import type { Clock } from '@keel/core';
import { BucketedWindow } from '../internal/bucketedWindow.js';

/**
 * A shared allowance of extra attempts (retries, hedges): at most `minRetries + ratio × calls`
 * extra attempts over the rolling window. Share one budget between the policies that call the
 * same dependency, so a failing dependency is not hit by a retry storm.
 */
export interface RetryBudget {
  /** Records one first attempt (a call), which earns `ratio` of an extra attempt. */
  recordCall(): void;
  /** Takes one extra attempt from the budget; `false` (and nothing taken) when it is spent. */
  tryWithdraw(): boolean;
  /** How many extra attempts the budget allows right now (may be fractional). */
  readonly available: number;
}

/** Options of {@link retryBudget}. */
export interface RetryBudgetOptions {
  /**
   * Extra attempts allowed per call over the window, from 0 to 1.
   * @default 0.2
   */
  ratio?: number | undefined;
  /**
   * The rolling window in ms over which calls and extra attempts are counted.
   * @default 10_000
   */
  windowMs?: number | undefined;
  /**
   * Extra attempts always allowed per window, so a quiet service can still retry.
   * @default 10
   */
  minRetries?: number | undefined;
  /**
   * How many buckets the window is split into (finer buckets forget more smoothly).
   * @default 10
   */
  buckets?: number | undefined;
  /** The clock measuring the window. @default systemClock */
  clock?: Clock | undefined;
}

/** The defaults of {@link RetryBudgetOptions}. */
const BUDGET_DEFAULTS = Object.freeze({
  ratio: 0.2,
  windowMs: 10_000,
  minRetries: 10,
  buckets: 10,
  clock: systemClock as Clock,
});

const CALLS = 0;
const RETRIES = 1;

/**
 * Creates a {@link RetryBudget} counting over a rolling window.
 *
 * @throws ValidationError when `ratio` is outside 0..1, a count or window is out of range, or
 *   `clock` is not a `Clock`.
 * @example
 * ```ts
 * const budget = retryBudget({ ratio: 0.1 });
 * const policy = retry({ maxRetries: 3, budget });
 * ```
 */
export function retryBudget(options?: RetryBudgetOptions): RetryBudget {
  const settings = withDefaults(BUDGET_DEFAULTS, options);
  assertOptions('retryBudget', {
    ratio: optionRatio(settings.ratio),
    windowMs: optionNumber(settings.windowMs, { min: 0, exclusiveMin: true }),
    minRetries: optionNumber(settings.minRetries, { min: 0 }),
    buckets: optionInteger(settings.buckets, { min: 1 }),
    clock: optionClock(settings.clock, ['now']),
  });
  const window = new BucketedWindow(settings.clock, settings.windowMs, settings.buckets, 2);
  const available = (): number =>
    settings.minRetries + settings.ratio * window.sum(CALLS) - window.sum(RETRIES);
  return {
    recordCall: () => window.add(CALLS),
    tryWithdraw(): boolean {
      if (available() < 1) return false;
      window.add(RETRIES);
      return true;
    },
    get available() {
      return Math.max(available(), 0);
    },
  };
}
