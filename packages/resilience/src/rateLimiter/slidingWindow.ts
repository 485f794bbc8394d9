import { assertOptions, optionInteger, optionNumber } from '@keel/core';
import { firstGrantDelay } from './rateLimitAlgorithm.js';
import type { RateLimitAlgorithm, RateLimitStep } from './rateLimitAlgorithm.js';

/** Options of {@link slidingWindow}. Both are required. */
export interface SlidingWindowOptions {
  /** Permits allowed per window: an integer >= 1. */
  limit: number;
  /** The window in ms: a number > 0. */
  windowMs: number;
}

/** The counts of the current fixed window (starting at `start`, epoch ms) and the one before. */
export interface SlidingWindowState {
  readonly start: number;
  readonly current: number;
  readonly previous: number;
}

/**
 * The window containing `now`. It never moves back: a caller whose clock lags behind the
 * stored window start is counted in the stored window, as if it came at its start.
 */
function rollWindow(
  state: SlidingWindowState | undefined,
  now: number,
  windowMs: number,
): SlidingWindowState {
  const start = Math.floor(now / windowMs) * windowMs;
  if (state === undefined || start - state.start >= 2 * windowMs) return { start, current: 0, previous: 0 };
  if (start > state.start) return { start, current: 0, previous: state.current };
  return state;
}

/**
 * Permits still free in `win` at `now`, times `windowMs`, so the comparison is exact in whole
 * numbers: `(limit − current) × windowMs − previous × (windowMs − elapsed)`.
 */
function freeScaled(win: SlidingWindowState, now: number, limit: number, windowMs: number): number {
  const elapsed = Math.max(now - win.start, 0);
  return (limit - win.current) * windowMs - win.previous * (windowMs - elapsed);
}

/** The closed-form wait until `permits` fit (a few ms off at worst; see `firstGrantDelay`). */
function estimateWait(
  win: SlidingWindowState,
  permits: number,
  limit: number,
  windowMs: number,
  now: number,
): number {
  const room = limit - win.current - permits;
  if (room >= 0 && win.previous > 0) {
    // Within this window, once the previous window's weight has decayed enough.
    return win.start + windowMs * (1 - room / win.previous) - now;
  }
  // In the next window, where today's count becomes the decaying previous one.
  const next = win.current === 0 ? 0 : windowMs * (1 - (limit - permits) / win.current);
  return win.start + windowMs + Math.max(next, 0) - now;
}

/**
 * A sliding window (the two-counter approximation used by Cloudflare and most gateways):
 * the previous window's count weighs in proportion to how much of it still overlaps.
 *
 * The arithmetic, which every store (e.g. the Redis script) repeats step by step:
 * `start = floor(now / windowMs) × windowMs`; the stored window is kept when `start <= s`
 * (never moved back), replaced by `{ start, 0, 0 }` when `start − s >= 2 × windowMs`, else
 * rolled to `{ start, current: 0, previous: c }`; `elapsed = max(now − start, 0)`;
 * `free = (limit − current) × windowMs − previous × (windowMs − elapsed)`; granted when
 * `free >= permits × windowMs` (whole numbers for whole inputs: no rounding), adding `permits`
 * to `current`; `remaining = max(floor(free' / windowMs), 0)` with `free'` the free space left;
 * the rolled state is written back in either case; a refusal's `retryAfter` is the smallest
 * whole `d >= 1` for which the same rule grants at `now + d` on the written state.
 *
 * @throws ValidationError when `limit` is missing or not an integer >= 1, or `windowMs` is missing or not > 0.
 * @example
 * ```ts
 * rateLimiter(slidingWindow({ limit: 100, windowMs: 60_000 }));
 * ```
 */
export function slidingWindow(options: SlidingWindowOptions): RateLimitAlgorithm<SlidingWindowState> {
  const given: Partial<SlidingWindowOptions> = options ?? {};
  assertOptions('slidingWindow', {
    limit: optionInteger(given.limit, { min: 1, required: true }),
    windowMs: optionNumber(given.windowMs, { min: 0, exclusiveMin: true, required: true }),
  });
  const { limit, windowMs } = options;
  const grants = (state: SlidingWindowState, permits: number, at: number): boolean =>
    freeScaled(rollWindow(state, at, windowMs), at, limit, windowMs) >= permits * windowMs;
  return Object.freeze({
    kind: 'sliding-window' as const,
    params: Object.freeze({ limit, windowMs }),
    maxPermits: limit,
    consume(
      state: SlidingWindowState | undefined,
      permits: number,
      now: number,
    ): RateLimitStep<SlidingWindowState> {
      const win = rollWindow(state, now, windowMs);
      const free = freeScaled(win, now, limit, windowMs);
      if (free >= permits * windowMs) {
        const remaining = Math.max(Math.floor((free - permits * windowMs) / windowMs), 0);
        return {
          decision: { allowed: true, remaining, retryAfter: 0 },
          state: { ...win, current: win.current + permits },
        };
      }
      const estimate = estimateWait(win, permits, limit, windowMs, now);
      const retryAfter = firstGrantDelay(estimate, (delay) => grants(win, permits, now + delay));
      return {
        decision: { allowed: false, remaining: Math.max(Math.floor(free / windowMs), 0), retryAfter },
        state: win,
      };
    },
  });
}
