import { assertOptions, optionInteger, optionNumber } from '@keel/core';
import { firstGrantDelay } from './rateLimitAlgorithm.js';
import type { RateLimitAlgorithm, RateLimitStep } from './rateLimitAlgorithm.js';

/** Options of {@link gcra}. `limit` and `periodMs` are required. */
export interface GcraOptions {
  /** Permits per period at the sustained rate: an integer >= 1. */
  limit: number;
  /** The period in ms: a number > 0. */
  periodMs: number;
  /** Permits that may arrive at once. @default limit */
  burst?: number | undefined;
}

/**
 * Times are compared with a slack of `(burst + 1)` units in the last place of the times involved:
 * the theoretical arrival time is an absolute time in ms (about 1.7e12, kept to about 0.0002 ms),
 * which rounds each time an interval is added. The slack covers that rounding for every permit
 * of a burst, so a full burst is granted at one instant (at epoch times, under 0.004 ms for a
 * burst of 10: far below the millisecond a decision is ever asked about). It never reaches half
 * an interval: with thousands of permits per ms-scale period, a slack of whole intervals would
 * grant permits beyond the burst.
 */
const TIME_SLACK = Number.EPSILON;

/**
 * The generic cell rate algorithm: the sustained rate of a token bucket with one number of
 * state per key (the theoretical arrival time, `tat`), as used by Redis-cell and Stripe.
 *
 * The arithmetic, which every store (e.g. the Redis script) repeats step by step, with
 * `interval = periodMs / limit` and `tolerance = interval × burst`: `base = max(tat, now)` (a new
 * key: `now`); `needed = (base − now) + interval × permits`; granted when
 * `needed <= tolerance + slack` with `slack = min(2^-52 × (burst + 1) × max(|base|, tolerance),
 * interval / 2)`, storing `base + interval × permits`; a refusal stores `base`; `remaining =
 * max(floor((tolerance − needed + slack) / interval), 0)` (on a refusal, with `needed` for 0
 * permits); a refusal's `retryAfter` is the smallest whole `d >= 1` for which the same rule
 * grants at `now + d` on the stored state.
 *
 * @throws ValidationError when a number is missing or out of range.
 * @example
 * ```ts
 * rateLimiter(gcra({ limit: 10, periodMs: 1_000, burst: 5 }));
 * ```
 */
export function gcra(options: GcraOptions): RateLimitAlgorithm<number> {
  const given: Partial<GcraOptions> = options ?? {};
  assertOptions('gcra', {
    limit: optionInteger(given.limit, { min: 1, required: true }),
    periodMs: optionNumber(given.periodMs, { min: 0, exclusiveMin: true, required: true }),
    burst: optionInteger(given.burst, { min: 1 }),
  });
  // Destructuring defaults apply to `undefined` too: `burst: undefined` means `limit`.
  const { limit, periodMs, burst = limit } = options;
  const interval = periodMs / limit;
  const tolerance = interval * burst;
  const halfInterval = interval / 2;
  const slackFor = (base: number): number =>
    Math.min(TIME_SLACK * (burst + 1) * Math.max(Math.abs(base), tolerance), halfInterval);
  /** The time budget used by `permits` at `now`, and the slack of that comparison. */
  const measure = (tat: number | undefined, permits: number, now: number) => {
    const base = tat === undefined ? now : Math.max(tat, now);
    return { base, needed: base - now + interval * permits, slack: slackFor(base) };
  };
  return Object.freeze({
    kind: 'gcra' as const,
    params: Object.freeze({ limit, periodMs, burst: burst }),
    maxPermits: burst,
    consume(tat: number | undefined, permits: number, now: number): RateLimitStep<number> {
      const { base, needed, slack } = measure(tat, permits, now);
      if (needed <= tolerance + slack) {
        const remaining = Math.max(Math.floor((tolerance - needed + slack) / interval), 0);
        return { decision: { allowed: true, remaining, retryAfter: 0 }, state: base + interval * permits };
      }
      const free = tolerance - (base - now) + slack;
      const retryAfter = firstGrantDelay(needed - tolerance, (delay) => {
        const later = measure(base, permits, now + delay);
        return later.needed <= tolerance + later.slack;
      });
      return {
        decision: { allowed: false, remaining: Math.max(Math.floor(free / interval), 0), retryAfter },
        state: base,
      };
    },
  });
}
