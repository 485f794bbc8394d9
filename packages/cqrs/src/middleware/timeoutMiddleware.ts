import { linkedAbortController, raceAbort, systemClock, TimeoutError } from '@keel/core';
import type { Clock } from '@keel/core';
import { checkPositive } from '../internal/checks.js';
import type { Middleware } from './middleware.js';

/** Options of {@link timeoutMiddleware}. */
export interface TimeoutMiddlewareOptions {
  /** The clock that runs the timer. @default systemClock */
  clock?: Clock;
}

/**
 * Gives each handler call at most `ms` milliseconds: then the handler's signal aborts with a
 * `TimeoutError` and the pipeline rejects with it at once, even if the handler ignores its
 * signal. The timer and listeners are removed whichever way the call ends.
 *
 * @param ms The limit, a finite number > 0.
 * @throws {InvalidOptionError} when `ms` is not a finite number > 0.
 * @example
 * ```ts
 * const queries = createQueryBus({ middleware: [timeoutMiddleware(2_000)] });
 * ```
 */
export function timeoutMiddleware(ms: number, options: TimeoutMiddlewareOptions = {}): Middleware {
  checkPositive('ms', ms);
  const clock = options.clock ?? systemClock;
  return async (context, next) => {
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
}
