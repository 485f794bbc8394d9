import {
  assertOptions,
  optionFunction,
  optionNumber,
  optionOneOf,
  optionRule,
  withDefaults,
} from '@keel/core';
import type { OptionChecks } from '@keel/core';

/**
 * A backoff strategy: a recipe for the delays between attempts. Each execution (or each
 * circuit-breaker opening streak) calls {@link Backoff.begin} for its own sequence, so
 * stateful strategies such as decorrelated jitter never share state between callers.
 */
export interface Backoff {
  /** Starts a fresh sequence of delays. */
  begin(): BackoffSequence;
}

/** The delays of one execution. */
export interface BackoffSequence {
  /**
   * The delay in ms before retry number `retry` (1 for the first retry). Always a finite number
   * between 0 and the strategy's `maxDelay`, whatever `retry` is.
   */
  next(retry: number): number;
}

/** How a delay is randomised. `full`: uniform in [0, d); `equal`: uniform in [d/2, d). */
export type Jitter = 'none' | 'full' | 'equal';

/** Options shared by the backoff factories. */
export interface BackoffOptions {
  /**
   * The longest delay returned.
   * @default 30_000, or the first delay when that is longer
   */
  maxDelay?: number | undefined;
  /**
   * Randomisation of each delay, so many clients do not retry in lockstep.
   * @default 'none'
   */
  jitter?: Jitter | undefined;
  /**
   * The random source in [0, 1); pass `seededRandom(seed)` for replayable tests.
   * @default Math.random
   */
  random?: (() => number) | undefined;
}

/** Options of {@link linearBackoff}. */
export interface LinearBackoffOptions extends BackoffOptions {
  /** How much each retry adds to the delay, in ms. @default the initial delay */
  step?: number | undefined;
}

/** Options of {@link exponentialBackoff}. */
export interface ExponentialBackoffOptions extends BackoffOptions {
  /** The growth factor between consecutive delays. @default 2 */
  factor?: number | undefined;
}

/** Options of {@link decorrelatedJitterBackoff}. */
export type DecorrelatedJitterOptions = Pick<BackoffOptions, 'maxDelay' | 'random'>;

/** The defaults of the backoff options; `maxDelay` has its own rule (see {@link BackoffOptions}). */
const BACKOFF_DEFAULTS = Object.freeze({
  jitter: 'none' as Jitter,
  random: Math.random as () => number,
});

/** The default growth factor of {@link exponentialBackoff}. */
const EXPONENTIAL_DEFAULTS = Object.freeze({ factor: 2 });

/** The cap used when `maxDelay` is not given, unless the first delay is longer. */
const DEFAULT_MAX_DELAY = 30_000;

/** The settings every backoff shares, once merged and checked. */
interface CommonSettings {
  readonly maxDelay: number;
  readonly jitter: Jitter;
  readonly random: () => number;
}

/** Clamps any number (NaN and ±Infinity included) into `[0, max]`. */
export function clampDelay(value: number, max: number): number {
  if (Number.isNaN(value)) return max;
  return Math.min(Math.max(value, 0), max);
}

/**
 * Merges the common options over their defaults and checks them with `extra` (the checks of
 * one factory's own options) in one `ValidationError`.
 */
function commonSettings(
  subject: string,
  first: unknown,
  options: BackoffOptions | undefined,
  extra: OptionChecks = {},
): CommonSettings {
  const settings = withDefaults(BACKOFF_DEFAULTS, options);
  const firstDelay = typeof first === 'number' ? first : 0;
  const maxDelay = settings.maxDelay ?? Math.max(DEFAULT_MAX_DELAY, firstDelay);
  assertOptions(subject, {
    delay:
      optionNumber(first, { min: 0, required: true }) ??
      optionRule(!(firstDelay > maxDelay), `must be <= maxDelay (${maxDelay}) (got ${firstDelay}).`),
    maxDelay: optionNumber(settings.maxDelay, { min: 0 }),
    jitter: optionOneOf(settings.jitter, ['none', 'full', 'equal']),
    random: optionFunction(settings.random),
    ...extra,
  });
  return { maxDelay, jitter: settings.jitter, random: settings.random };
}

function withJitter(raw: (retry: number) => number, settings: CommonSettings): Backoff {
  const { maxDelay, jitter, random } = settings;
  const next = (retry: number): number => {
    const delay = clampDelay(raw(retry), maxDelay);
    if (jitter === 'none') return delay;
    const r = clampDelay(random(), 1);
    return clampDelay(jitter === 'full' ? delay * r : delay / 2 + (delay / 2) * r, maxDelay);
  };
  const sequence: BackoffSequence = Object.freeze({ next });
  return Object.freeze({ begin: () => sequence });
}

/**
 * The same delay before every retry.
 *
 * @param delay Milliseconds between attempts (>= 0).
 * @throws ValidationError when `delay` or an option is out of range.
 * @example
 * ```ts
 * retry({ backoff: constantBackoff(500) });
 * ```
 */
export function constantBackoff(delay: number, options?: BackoffOptions): Backoff {
  const settings = commonSettings('constantBackoff', delay, options);
  return withJitter(() => delay, settings);
}

/**
 * A delay growing by a fixed step: `delay + step × (retry − 1)`, capped at `maxDelay`.
 *
 * @param delay The first delay in ms (>= 0).
 * @throws ValidationError when a value is out of range.
 * @example
 * ```ts
 * linearBackoff(100, { step: 250, maxDelay: 2_000 }); // 100, 350, 600 …
 * ```
 */
export function linearBackoff(delay: number, options?: LinearBackoffOptions): Backoff {
  const stepOption = options?.step;
  const settings = commonSettings('linearBackoff', delay, options, {
    step: optionNumber(stepOption, { min: 0 }),
  });
  const step = stepOption ?? delay;
  return withJitter((retry) => (step === 0 ? delay : delay + step * Math.max(retry - 1, 0)), settings);
}

/**
 * A delay multiplied by `factor` each retry: `delay × factor^(retry − 1)`, capped at `maxDelay`.
 * Never NaN or Infinity, even for retry number 10^9.
 *
 * @param delay The first delay in ms (>= 0).
 * @throws ValidationError when a value is out of range (a factor must be >= 1).
 * @example
 * ```ts
 * exponentialBackoff(100, { maxDelay: 10_000, jitter: 'full' }); // ~100, ~200, ~400 …
 * ```
 */
export function exponentialBackoff(delay: number, options?: ExponentialBackoffOptions): Backoff {
  const { factor } = withDefaults(EXPONENTIAL_DEFAULTS, options);
  const settings = commonSettings('exponentialBackoff', delay, options, {
    factor: optionNumber(factor, { min: 1 }),
  });
  // Exponent form keeps the arithmetic finite: Infinity is clamped, 0 × Infinity never happens.
  return withJitter((retry) => (delay === 0 ? 0 : delay * factor ** Math.max(retry - 1, 0)), settings);
}

const P_FACTOR = 4;
const RP_SCALING_FACTOR = 1 / 1.4;

/**
 * Polly's "decorrelated jitter V2" backoff: exponentially growing, randomised delays whose
 * median is close to `medianFirstDelay × 2^(retry − 1)`, without the clustering of plain jitter.
 * The formula is `(f(t) − f(t−1)) / 1.4 × medianFirstDelay` with `f(t) = 2^t × tanh(√(4t))` and
 * `t = retry − 1 + random()`; overflow is capped at `maxDelay`.
 *
 * @param medianFirstDelay The median of the first delay in ms (>= 0).
 * @throws ValidationError when a value is out of range.
 * @example
 * ```ts
 * retry({ backoff: decorrelatedJitterBackoff(200, { maxDelay: 5_000 }) });
 * ```
 */
export function decorrelatedJitterBackoff(
  medianFirstDelay: number,
  options?: DecorrelatedJitterOptions,
): Backoff {
  const { maxDelay, random } = commonSettings('decorrelatedJitterBackoff', medianFirstDelay, {
    ...options,
    jitter: undefined,
  });
  return Object.freeze({
    begin(): BackoffSequence {
      let previous = 0;
      return {
        next(retry: number): number {
          const t = Math.max(retry - 1, 0) + clampDelay(random(), 1);
          const next = 2 ** t * Math.tanh(Math.sqrt(P_FACTOR * t));
          if (!Number.isFinite(next)) {
            previous = next;
            return maxDelay;
          }
          const delay = (next - previous) * RP_SCALING_FACTOR * medianFirstDelay;
          previous = next;
          return clampDelay(medianFirstDelay === 0 ? 0 : delay, maxDelay);
        },
      };
    },
  });
}

/** Checks that `value` looks like a {@link Backoff}. */
export function isBackoff(value: unknown): value is Backoff {
  return typeof value === 'object' && value !== null && typeof (value as Backoff).begin === 'function';
}
