import type { Clock } from '@keel/core';
import { BucketedWindow } from '../internal/bucketedWindow.js';
import { integerAtLeast, positive, ratio, relation, validateOptions } from '../internal/options.js';

/** Why a strategy wants the circuit to open. */
export type TripReason = 'consecutive-failures' | 'failure-ratio' | 'slow-call-ratio';

/** The closed-state statistics of one breaker. */
export interface BreakerWindow {
  /**
   * Records a finished call: `failed` when it failed (a handled error or result), `slow` when it
   * took at least the breaker's `slowCallDuration`. Returns why the circuit should open, or
   * `undefined` to stay closed.
   */
  record(failed: boolean, slow: boolean): TripReason | undefined;
  /** Forgets everything (the circuit closed again). */
  reset(): void;
}

/**
 * When a closed circuit opens. A strategy is a recipe: each breaker creates its own window,
 * so one strategy value may be shared between breakers.
 */
export interface BreakerStrategy {
  /** Creates the statistics of one breaker. */
  create(clock: Clock): BreakerWindow;
}

/** Ratio thresholds shared by the window strategies. */
export interface RatioThresholds {
  /** Open when at least this share of calls in the window failed. @default 0.5 */
  failureRatio?: number;
  /** Open when at least this share of calls in the window was slow. @default undefined (off) */
  slowCallRatio?: number;
  /** Calls the window must hold before a ratio is judged. @default 10 */
  minimumThroughput?: number;
}

const RATIO_DEFAULTS = Object.freeze({ failureRatio: 0.5, minimumThroughput: 10 });

function checkRatios(subject: string, options: RatioThresholds): void {
  validateOptions(subject, [
    ratio('failureRatio', options.failureRatio),
    ratio('slowCallRatio', options.slowCallRatio),
    integerAtLeast('minimumThroughput', options.minimumThroughput, 1),
  ]);
}

function judge(
  options: RatioThresholds,
  calls: number,
  failures: number,
  slow: number,
): TripReason | undefined {
  if (calls < (options.minimumThroughput ?? RATIO_DEFAULTS.minimumThroughput)) return undefined;
  if (failures > 0 && failures / calls >= (options.failureRatio ?? RATIO_DEFAULTS.failureRatio))
    return 'failure-ratio';
  if (options.slowCallRatio !== undefined && slow > 0 && slow / calls >= options.slowCallRatio)
    return 'slow-call-ratio';
  return undefined;
}

/**
 * Opens after `threshold` failures in a row; any success resets the count.
 *
 * @param threshold Consecutive failures that open the circuit (integer >= 1).
 * @throws ValidationError when `threshold` is not an integer >= 1.
 * @example
 * ```ts
 * circuitBreaker({ strategy: consecutiveFailures(5) });
 * ```
 */
export function consecutiveFailures(threshold: number): BreakerStrategy {
  validateOptions('consecutiveFailures', [integerAtLeast('threshold', threshold, 1)]);
  return Object.freeze({
    create(): BreakerWindow {
      let run = 0;
      return {
        record: (failed) => {
          run = failed ? run + 1 : 0;
          return run >= threshold ? 'consecutive-failures' : undefined;
        },
        reset: () => {
          run = 0;
        },
      };
    },
  });
}

/** Options of {@link countWindow}. */
export interface CountWindowOptions extends RatioThresholds {
  /** How many of the latest calls are judged. */
  size: number;
}

/**
 * Judges the last `size` calls: opens when the failure (or slow-call) ratio reaches its
 * threshold once at least `minimumThroughput` calls were seen.
 *
 * @throws ValidationError when `size` is not an integer >= 1 or a ratio is outside 0..1.
 * @example
 * ```ts
 * countWindow({ size: 20, failureRatio: 0.5, minimumThroughput: 10 });
 * ```
 */
export function countWindow(options: CountWindowOptions): BreakerStrategy {
  checkRatios('countWindow', options);
  validateOptions('countWindow', [
    integerAtLeast('size', options.size, 1),
    relation(
      'minimumThroughput',
      (options.minimumThroughput ?? Math.min(RATIO_DEFAULTS.minimumThroughput, options.size)) <= options.size,
      `must be <= size (${options.size}) or the circuit could never open.`,
    ),
  ]);
  const thresholds = {
    minimumThroughput: Math.min(RATIO_DEFAULTS.minimumThroughput, options.size),
    ...options,
  };
  return Object.freeze({
    create(): BreakerWindow {
      const ring = new Uint8Array(options.size);
      let next = 0;
      let calls = 0;
      let failures = 0;
      let slowCalls = 0;
      return {
        record(failed, slow) {
          if (calls === options.size) {
            const old = ring[next]!;
            failures -= old & 1;
            slowCalls -= old >> 1;
          } else calls++;
          ring[next] = (failed ? 1 : 0) | (slow ? 2 : 0);
          failures += failed ? 1 : 0;
          slowCalls += slow ? 1 : 0;
          next = (next + 1) % options.size;
          return judge(thresholds, calls, failures, slowCalls);
        },
        reset() {
          ring.fill(0);
          next = calls = failures = slowCalls = 0;
        },
      };
    },
  });
}

/** Options of {@link timeWindow}. */
export interface TimeWindowOptions extends RatioThresholds {
  /** The rolling window in ms. */
  windowMs: number;
  /** How many buckets the window is split into. @default 10 */
  buckets?: number;
}

/**
 * Judges the calls of the last `windowMs`, counted in buckets (fixed memory at any call rate).
 *
 * @throws ValidationError when the window or bucket count is out of range or a ratio is outside 0..1.
 * @example
 * ```ts
 * timeWindow({ windowMs: 30_000, failureRatio: 0.25, minimumThroughput: 20, slowCallRatio: 0.5 });
 * ```
 */
export function timeWindow(options: TimeWindowOptions): BreakerStrategy {
  checkRatios('timeWindow', options);
  validateOptions('timeWindow', [
    positive('windowMs', options.windowMs),
    integerAtLeast('buckets', options.buckets, 1),
  ]);
  return Object.freeze({
    create(clock: Clock): BreakerWindow {
      const window = new BucketedWindow(clock, options.windowMs, options.buckets ?? 10, 3);
      return {
        record(failed, slow) {
          window.add(0);
          if (failed) window.add(1);
          if (slow) window.add(2);
          return judge(options, window.sum(0), window.sum(1), window.sum(2));
        },
        reset: () => window.reset(),
      };
    },
  });
}
