import {
  assertOptions,
  linkedAbortController,
  optionClock,
  optionNumber,
  raceAbort,
  systemClock,
  TimeoutError,
  withDefaults,
} from '@keel/core';
import type { Clock } from '@keel/core';
import type { Middleware } from './middleware.js';

/** Options of {@link timeoutMiddleware}; an option that is `undefined` keeps its default. */
export interface TimeoutMiddlewareOptions {
  /** The clock that runs the timer. @default systemClock */
  clock?: Clock | undefined;
}

/** The defaults of {@link TimeoutMiddlewareOptions}. */
export const TIMEOUT_DEFAULTS = Object.freeze({ clock: systemClock as Clock });

/**
 * Gives each handler call at most `ms` milliseconds: then the handler's signal aborts with a
 * `TimeoutError` and the pipeline rejects with it at once, even if the handler ignores its
 * signal. The timer and listeners are removed whichever way the call ends.
 *
 * @param ms The limit, a finite number > 0.
 * @throws {ValidationError} at construction when `ms` is not a finite number > 0 or `clock` not a Clock.
 * @example
 * ```ts
 * const queries = createQueryBus({ middleware: [timeoutMiddleware(2_000)] });
 * ```
 */
export function timeoutMiddleware(ms: number, options: TimeoutMiddlewareOptions = {}): Middleware {
  const { clock } = withDefaults(TIMEOUT_DEFAULTS, options);
  assertOptions('timeoutMiddleware', {
    ms: optionNumber(ms, { min: 0, exclusiveMin: true, required: true }),
    clock: optionClock(clock, ['setTimeout']),
  });
  const timeout: Middleware = async (context, next) => {
    const child = linkedAbortController(context.signal);
    const timer = clock.setTimeout(() => {
      child.abort(new TimeoutError(ms, { operation: `${context.kind} "${context.message.type}"` }));
    }, ms);
    try {
      return await raceAbort(next({ signal: child.signal }), child.signal);
    } finally {
      timer.cancel();
      child.dispose();
    }
  };
  return timeout;
}
