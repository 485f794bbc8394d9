import { systemClock } from '@keel/core';
import type { Clock } from '@keel/core';
import { BucketedWindow } from '../internal/bucketedWindow.js';
import { integerAtLeast, nonNegative, positive, ratio, validateOptions } from '../internal/options.js';

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
  ratio?: number;
  /**
   * The rolling window in ms over which calls and extra attempts are counted.
   * @default 10_000
   */
  windowMs?: number;
  /**
   * Extra attempts always allowed per window, so a quiet service can still retry.
   * @default 10
   */
  minRetries?: number;
  /**
   * How many buckets the window is split into (finer buckets forget more smoothly).
   * @default 10
   */
  buckets?: number;
  /** The clock measuring the window. @default systemClock */
  clock?: Clock;
}

const BUDGET_DEFAULTS = Object.freeze({ ratio: 0.2, windowMs: 10_000, minRetries: 10, buckets: 10 });

const CALLS = 0;
const RETRIES = 1;

/**
 * Creates a {@link RetryBudget} counting over a rolling window.
 *
 * @throws ValidationError when `ratio` is outside 0..1 or a count or window is out of range.
 * @example
 * ```ts
 * const budget = retryBudget({ ratio: 0.1 });
 * const policy = retry({ maxRetries: 3, budget });
 * ```
 */
export function retryBudget(options: RetryBudgetOptions = {}): RetryBudget {
  validateOptions('retryBudget', [
    ratio('ratio', options.ratio),
    positive('windowMs', options.windowMs),
    nonNegative('minRetries', options.minRetries),
    integerAtLeast('buckets', options.buckets, 1),
  ]);
  const settings = { ...BUDGET_DEFAULTS, ...options };
  const window = new BucketedWindow(options.clock ?? systemClock, settings.windowMs, settings.buckets, 2);
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
