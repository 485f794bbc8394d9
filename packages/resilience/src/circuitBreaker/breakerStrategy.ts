import {
  assertOptions,
  optionInteger,
  optionNumber,
  optionRatio,
  optionRule,
  withDefaults,
} from '@keel/core';
import type { Clock, OptionChecks } from '@keel/core';
import { BucketedWindow } from '../internal/bucketedWindow.js';

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
  failureRatio?: number | undefined;
  /** Open when at least this share of calls in the window was slow. @default undefined (off) */
  slowCallRatio?: number | undefined;
  /** Calls the window must hold before a ratio is judged. @default 10 (a count window: at most its `size`) */
  minimumThroughput?: number | undefined;
}

/** The defaults of {@link RatioThresholds} (`minimumThroughput` is at most a count window's size). */
const RATIO_DEFAULTS = Object.freeze({ failureRatio: 0.5, minimumThroughput: 10 });

/** Ratio thresholds with every default filled in. */
interface Thresholds {
  readonly failureRatio: number;
  readonly slowCallRatio: number | undefined;
  readonly minimumThroughput: number;
}

function ratioChecks(settings: { readonly [K in keyof Thresholds]?: unknown }): OptionChecks {
  return {
    failureRatio: optionRatio(settings.failureRatio),
    slowCallRatio: optionRatio(settings.slowCallRatio),
    minimumThroughput: optionInteger(settings.minimumThroughput, { min: 1 }),
  };
}

function judge(
  thresholds: Thresholds,
  calls: number,
  failures: number,
  slow: number,
): TripReason | undefined {
  if (calls < thresholds.minimumThroughput) return undefined;
  if (failures > 0 && failures / calls >= thresholds.failureRatio) return 'failure-ratio';
  const { slowCallRatio } = thresholds;
  if (slowCallRatio !== undefined && slow > 0 && slow / calls >= slowCallRatio) return 'slow-call-ratio';
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
  assertOptions('consecutiveFailures', { threshold: optionInteger(threshold, { min: 1, required: true }) });
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
  /** How many of the latest calls are judged (required). */
  size: number;
}

/** The defaults of {@link CountWindowOptions} (`minimumThroughput`: 10, at most `size`). */
const COUNT_WINDOW_DEFAULTS = Object.freeze({ failureRatio: RATIO_DEFAULTS.failureRatio });

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
  const settings = withDefaults(COUNT_WINDOW_DEFAULTS, options);
  const { size } = settings;
  const sizeProblem = optionInteger(size, { min: 1, required: true });
  // The default throughput is capped at the size, so a small window can still open.
  const minimumThroughput =
    settings.minimumThroughput ?? Math.min(RATIO_DEFAULTS.minimumThroughput, sizeProblem ? 1 : size);
  assertOptions('countWindow', {
    size: sizeProblem,
    ...ratioChecks(settings),
    minimumThroughput:
      optionInteger(minimumThroughput, { min: 1 }) ??
      optionRule(
        sizeProblem !== undefined || minimumThroughput <= size,
        `must be <= size (${size}) or the circuit could never open (got ${minimumThroughput}).`,
      ),
  });
  const thresholds: Thresholds = Object.freeze({
    failureRatio: settings.failureRatio,
    slowCallRatio: settings.slowCallRatio,
    minimumThroughput,
  });
  return Object.freeze({
    create(): BreakerWindow {
      const ring = new Uint8Array(size);
      let next = 0;
      let calls = 0;
      let failures = 0;
      let slowCalls = 0;
      return {
        record(failed, slow) {
          if (calls === size) {
            const old = ring[next]!;
            failures -= old & 1;
            slowCalls -= old >> 1;
          } else calls++;
          ring[next] = (failed ? 1 : 0) | (slow ? 2 : 0);
          failures += failed ? 1 : 0;
          slowCalls += slow ? 1 : 0;
          next = (next + 1) % size;
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
  /** The rolling window in ms (required). */
  windowMs: number;
  /** How many buckets the window is split into. @default 10 */
  buckets?: number | undefined;
}

/** The defaults of {@link TimeWindowOptions}. */
const TIME_WINDOW_DEFAULTS = Object.freeze({ ...RATIO_DEFAULTS, buckets: 10 });

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
  const settings = withDefaults(TIME_WINDOW_DEFAULTS, options);
  assertOptions('timeWindow', {
    windowMs: optionNumber(settings.windowMs, { min: 0, exclusiveMin: true, required: true }),
    buckets: optionInteger(settings.buckets, { min: 1 }),
    ...ratioChecks(settings),
  });
  const { windowMs, buckets } = settings;
  const thresholds: Thresholds = Object.freeze({
    failureRatio: settings.failureRatio,
    slowCallRatio: settings.slowCallRatio,
    minimumThroughput: settings.minimumThroughput,
  });
  return Object.freeze({
    create(clock: Clock): BreakerWindow {
      const window = new BucketedWindow(clock, windowMs, buckets, 3);
      return {
        record(failed, slow) {
          window.add(0);
          if (failed) window.add(1);
          if (slow) window.add(2);
          return judge(thresholds, window.sum(0), window.sum(1), window.sum(2));
        },
        reset: () => window.reset(),
      };
    },
  });
}
