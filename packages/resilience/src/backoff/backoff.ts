import { callable, nonNegative, relation, validateOptions } from '../internal/options.js';

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
  maxDelay?: number;
  /**
   * Randomisation of each delay, so many clients do not retry in lockstep.
   * @default 'none'
   */
  jitter?: Jitter;
  /**
   * The random source in [0, 1); pass `seededRandom(seed)` for replayable tests.
   * @default Math.random
   */
  random?: () => number;
}

/** Options of {@link linearBackoff}. */
export interface LinearBackoffOptions extends BackoffOptions {
  /** How much each retry adds to the delay, in ms. @default the initial delay */
  step?: number;
}

/** Options of {@link exponentialBackoff}. */
export interface ExponentialBackoffOptions extends BackoffOptions {
  /** The growth factor between consecutive delays. @default 2 */
  factor?: number;
}

/** Options of {@link decorrelatedJitterBackoff}. */
export type DecorrelatedJitterOptions = Pick<BackoffOptions, 'maxDelay' | 'random'>;

const BACKOFF_DEFAULTS = Object.freeze({
  maxDelay: 30_000,
  jitter: 'none' as Jitter,
  random: Math.random,
  factor: 2,
});

/** Clamps any number (NaN and ±Infinity included) into `[0, max]`. */
export function clampDelay(value: number, max: number): number {
  if (Number.isNaN(value)) return max;
  return Math.min(Math.max(value, 0), max);
}

/** The cap: the option when given, else 30 s (or the first delay when that is longer). */
function maxDelayOf(first: number, options: BackoffOptions): number {
  return options.maxDelay ?? Math.max(BACKOFF_DEFAULTS.maxDelay, first);
}

function checkCommon(subject: string, first: number, options: BackoffOptions): void {
  const maxDelay = maxDelayOf(first, options);
  validateOptions(subject, [
    nonNegative('delay', first),
    nonNegative('maxDelay', options.maxDelay),
    relation('delay', !(first > maxDelay), `must be <= maxDelay (${maxDelay}); got ${first}.`),
    relation(
      'jitter',
      options.jitter === undefined || ['none', 'full', 'equal'].includes(options.jitter),
      `must be 'none', 'full' or 'equal' (got ${String(options.jitter)}).`,
    ),
    callable('random', options.random),
  ]);
}

function withJitter(first: number, raw: (retry: number) => number, options: BackoffOptions): Backoff {
  const maxDelay = maxDelayOf(first, options);
  const jitter = options.jitter ?? BACKOFF_DEFAULTS.jitter;
  const random = options.random ?? BACKOFF_DEFAULTS.random;
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
export function constantBackoff(delay: number, options: BackoffOptions = {}): Backoff {
  checkCommon('constantBackoff', delay, options);
  return withJitter(delay, () => delay, options);
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
export function linearBackoff(delay: number, options: LinearBackoffOptions = {}): Backoff {
  checkCommon('linearBackoff', delay, options);
  validateOptions('linearBackoff', [nonNegative('step', options.step)]);
  const step = options.step ?? delay;
  return withJitter(delay, (retry) => (step === 0 ? delay : delay + step * Math.max(retry - 1, 0)), options);
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
export function exponentialBackoff(delay: number, options: ExponentialBackoffOptions = {}): Backoff {
  checkCommon('exponentialBackoff', delay, options);
  const factor = options.factor ?? BACKOFF_DEFAULTS.factor;
  validateOptions('exponentialBackoff', [
    relation(
      'factor',
      Number.isFinite(factor) && factor >= 1,
      `must be a finite number >= 1 (got ${factor}).`,
    ),
  ]);
  // Exponent form keeps the arithmetic finite: Infinity is clamped, 0 × Infinity never happens.
  return withJitter(delay, (retry) => (delay === 0 ? 0 : delay * factor ** Math.max(retry - 1, 0)), options);
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
  options: DecorrelatedJitterOptions = {},
): Backoff {
  checkCommon('decorrelatedJitterBackoff', medianFirstDelay, options);
  const maxDelay = maxDelayOf(medianFirstDelay, options);
  const random = options.random ?? BACKOFF_DEFAULTS.random;
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
