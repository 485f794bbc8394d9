import {
  assertOptions,
  isConcurrencyError,
  optionClock,
  optionFunction,
  optionInteger,
  optionNumber,
  optionRule,
  signalContext,
  systemClock,
  throwIfAborted,
  withDefaults,
} from '@keel/core';
import type { Clock, Policy, PolicyContext } from '@keel/core';

/** The longest delay a timer can wait (2^31 - 1 ms, about 24.8 days). */
const MAX_DELAY_MS = 2_147_483_647;

/** Options of {@link conflictRetry}. */
export interface ConflictRetryOptions {
  /** Retries after the first attempt (an integer from 0 to 1,000). @default 3 */
  maxRetries?: number | undefined;
  /** The delay before the first retry in ms; each further retry doubles it. @default 10 */
  initialDelayMs?: number | undefined;
  /** The longest delay between two attempts in ms (>= `initialDelayMs`). @default 1000 */
  maxDelayMs?: number | undefined;
  /** Waits between attempts. @default systemClock */
  clock?: Clock | undefined;
  /**
   * Uniform random numbers in [0, 1) that spread each delay over its upper half, so writers that
   * collided do not retry in step. @default Math.random
   */
  random?: (() => number) | undefined;
}

/** The defaults of {@link ConflictRetryOptions}. */
export const CONFLICT_RETRY_DEFAULTS = Object.freeze({
  maxRetries: 3,
  initialDelayMs: 10,
  maxDelayMs: 1_000,
  clock: systemClock,
  random: Math.random,
});

type ConflictRetrySettings = ReturnType<typeof conflictRetrySettings>;

function conflictRetrySettings(options: ConflictRetryOptions | undefined) {
  const settings = withDefaults(CONFLICT_RETRY_DEFAULTS, options);
  assertOptions('conflictRetry', {
    maxRetries: optionInteger(settings.maxRetries, { min: 0, max: 1_000 }),
    initialDelayMs: optionNumber(settings.initialDelayMs, { min: 0, max: MAX_DELAY_MS }),
    maxDelayMs:
      optionNumber(settings.maxDelayMs, { min: 0, max: MAX_DELAY_MS }) ??
      optionRule(
        !(settings.maxDelayMs < settings.initialDelayMs),
        `must be >= initialDelayMs (got ${settings.maxDelayMs} < ${settings.initialDelayMs}).`,
      ),
    clock: optionClock(settings.clock, ['sleep']),
    random: optionFunction(settings.random),
  });
  return settings;
}

/**
 * The default conflict retry of {@link createCommandHandler}: a core `Policy` that runs the call
 * again when it fails with a `ConcurrencyError` (another writer appended first), after an
 * exponential backoff with jitter (10, 20, 40 … ms by default, each spread over its upper half,
 * capped at `maxDelayMs`). Any other error is rethrown at once. The wait stops on abort.
 *
 * @param options Retries, delays, clock and randomness; `undefined` keeps a default.
 * @returns The policy.
 * @throws ValidationError when an option is out of range (e.g. `maxRetries` above 1,000, a delay
 *   beyond what a timer can wait, or `maxDelayMs` below `initialDelayMs`).
 * @example
 * ```ts
 * const handle = createCommandHandler(store, decider, { conflictRetry: conflictRetry({ maxRetries: 5 }) });
 * ```
 */
export function conflictRetry(options?: ConflictRetryOptions): Policy {
  const settings = conflictRetrySettings(options);
  return Object.freeze({
    execute: <TResult>(
      fn: (context: PolicyContext) => PromiseLike<TResult> | TResult,
      signal?: AbortSignal,
    ): Promise<TResult> => retryConflicts(settings, fn, signal),
  });
}

async function retryConflicts<TResult>(
  settings: ConflictRetrySettings,
  fn: (context: PolicyContext) => PromiseLike<TResult> | TResult,
  signal: AbortSignal | undefined,
): Promise<TResult> {
  for (let retry = 0; ; retry++) {
    throwIfAborted(signal);
    try {
      return await fn(signalContext(signal));
    } catch (error) {
      if (!isConcurrencyError(error) || retry >= settings.maxRetries) throw error;
    }
    await settings.clock.sleep(conflictDelay(settings, retry), signal);
  }
}

/** The wait before retry number `retry + 1`: the doubled delay, capped, spread over its upper half. */
export function conflictDelay(
  settings: { readonly initialDelayMs: number; readonly maxDelayMs: number; readonly random: () => number },
  retry: number,
): number {
  // A product that overflows to Infinity (huge retry counts) is simply capped.
  const ceiling = Math.min(settings.maxDelayMs, settings.initialDelayMs * 2 ** retry);
  return Math.round(ceiling / 2 + (ceiling / 2) * settings.random());
}
