import { integerAtLeast, positive, relation, validateOptions } from '../internal/options.js';

/** The answer of a rate limiter to one request for permits. */
export interface RateLimitDecision {
  /** Whether the permits were granted (and taken). */
  readonly allowed: boolean;
  /** Permits still available right after this decision (0 when refused). */
  readonly remaining: number;
  /** Milliseconds until the requested permits would be granted; 0 when allowed. */
  readonly retryAfter: number;
}

/** The outcome of applying an algorithm to one key's state. */
export interface RateLimitStep<TState> {
  readonly decision: RateLimitDecision;
  /** The key's new state (unchanged when refused). */
  readonly state: TState;
}

/**
 * A rate-limiting algorithm as a pure step over a key's state, so any store can run it: the
 * in-memory store calls {@link RateLimitAlgorithm.consume}, and a shared store (e.g. Redis)
 * runs the same arithmetic atomically, chosen by `kind` with the numbers in `params`.
 */
export interface RateLimitAlgorithm<TState = unknown> {
  /** Which algorithm this is. */
  readonly kind: 'token-bucket' | 'sliding-window' | 'gcra';
  /** The numbers that define it (capacity, rates, windows), plain JSON. */
  readonly params: Readonly<Record<string, number>>;
  /** The most permits one request may ask for. */
  readonly maxPermits: number;
  /** Takes `permits` at time `now` from `state` (`undefined` for a new key). */
  consume(state: TState | undefined, permits: number, now: number): RateLimitStep<TState>;
}

/** Options of {@link tokenBucket}. */
export interface TokenBucketOptions {
  /** The most tokens the bucket holds (the burst size). */
  capacity: number;
  /** Tokens added per second, continuously. */
  refillPerSecond: number;
}

interface BucketState {
  readonly tokens: number;
  readonly updatedAt: number;
}

/**
 * A token bucket: bursts up to `capacity`, refilled at `refillPerSecond`.
 *
 * @throws ValidationError when the capacity is not an integer >= 1 or the rate is not > 0.
 * @example
 * ```ts
 * rateLimiter(tokenBucket({ capacity: 20, refillPerSecond: 5 }));
 * ```
 */
export function tokenBucket(options: TokenBucketOptions): RateLimitAlgorithm<BucketState> {
  validateOptions('tokenBucket', [
    integerAtLeast('capacity', options.capacity, 1),
    positive('refillPerSecond', options.refillPerSecond),
  ]);
  const { capacity, refillPerSecond } = options;
  const perMs = refillPerSecond / 1_000;
  return Object.freeze({
    kind: 'token-bucket' as const,
    params: Object.freeze({ capacity, refillPerSecond }),
    maxPermits: capacity,
    consume(state: BucketState | undefined, permits: number, now: number): RateLimitStep<BucketState> {
      const elapsed = state === undefined ? 0 : Math.max(now - state.updatedAt, 0);
      const tokens = state === undefined ? capacity : Math.min(capacity, state.tokens + elapsed * perMs);
      // A hair of tolerance: refill arithmetic in floats must not refuse at the promised retryAfter.
      if (tokens + 1e-9 >= permits) {
        const left = Math.max(tokens - permits, 0);
        return {
          decision: { allowed: true, remaining: Math.floor(left), retryAfter: 0 },
          state: { tokens: left, updatedAt: now },
        };
      }
      const retryAfter = Math.ceil((permits - tokens) / perMs);
      return {
        decision: { allowed: false, remaining: Math.floor(tokens), retryAfter },
        state: { tokens, updatedAt: now },
      };
    },
  });
}

/** Options of {@link slidingWindow}. */
export interface SlidingWindowOptions {
  /** Permits allowed per window. */
  limit: number;
  /** The window in ms. */
  windowMs: number;
}

interface WindowState {
  readonly start: number;
  readonly current: number;
  readonly previous: number;
}

function rollWindow(state: WindowState | undefined, now: number, windowMs: number): WindowState {
  const start = Math.floor(now / windowMs) * windowMs;
  if (state === undefined || start - state.start >= 2 * windowMs) return { start, current: 0, previous: 0 };
  if (start > state.start) return { start, current: 0, previous: state.current };
  return state;
}

/** Ms until `permits` fit, from `elapsed` into the window with counts `current` and `previous`. */
function slidingRetryAfter(
  win: WindowState,
  permits: number,
  limit: number,
  windowMs: number,
  elapsed: number,
): number {
  if (win.current + permits <= limit && win.previous > 0) {
    return Math.max(Math.ceil(windowMs * (1 - (limit - win.current - permits) / win.previous) - elapsed), 1);
  }
  // Wait for the next window, where today's count becomes the decaying previous one.
  const next = win.current === 0 ? 0 : windowMs * (1 - (limit - permits) / win.current);
  return Math.ceil(windowMs - elapsed + Math.max(next, 0));
}

/**
 * A sliding window (the two-counter approximation used by Cloudflare and most gateways):
 * the previous window's count weighs in proportion to how much of it still overlaps.
 *
 * @throws ValidationError when the limit is not an integer >= 1 or the window is not > 0.
 * @example
 * ```ts
 * rateLimiter(slidingWindow({ limit: 100, windowMs: 60_000 }));
 * ```
 */
export function slidingWindow(options: SlidingWindowOptions): RateLimitAlgorithm<WindowState> {
  validateOptions('slidingWindow', [
    integerAtLeast('limit', options.limit, 1),
    positive('windowMs', options.windowMs),
  ]);
  const { limit, windowMs } = options;
  return Object.freeze({
    kind: 'sliding-window' as const,
    params: Object.freeze({ limit, windowMs }),
    maxPermits: limit,
    consume(state: WindowState | undefined, permits: number, now: number): RateLimitStep<WindowState> {
      const win = rollWindow(state, now, windowMs);
      const elapsed = now - win.start;
      const used = win.previous * (1 - elapsed / windowMs) + win.current;
      if (used + permits <= limit) {
        const remaining = Math.floor(limit - used - permits);
        return {
          decision: { allowed: true, remaining, retryAfter: 0 },
          state: { ...win, current: win.current + permits },
        };
      }
      const retryAfter = slidingRetryAfter(win, permits, limit, windowMs, elapsed);
      return {
        decision: { allowed: false, remaining: Math.max(Math.floor(limit - used), 0), retryAfter },
        state: win,
      };
    },
  });
}

/** Options of {@link gcra}. */
export interface GcraOptions {
  /** Permits per period at the sustained rate. */
  limit: number;
  /** The period in ms. */
  periodMs: number;
  /** Permits that may arrive at once. @default limit */
  burst?: number;
}

/**
 * The generic cell rate algorithm: the sustained rate of a token bucket with one number of
 * state per key (the theoretical arrival time), as used by Redis-cell and Stripe.
 *
 * @throws ValidationError when a number is out of range.
 * @example
 * ```ts
 * rateLimiter(gcra({ limit: 10, periodMs: 1_000, burst: 5 }));
 * ```
 */
export function gcra(options: GcraOptions): RateLimitAlgorithm<number> {
  const burst = options.burst ?? options.limit;
  validateOptions('gcra', [
    integerAtLeast('limit', options.limit, 1),
    positive('periodMs', options.periodMs),
    integerAtLeast('burst', options.burst, 1),
    relation('burst', Number.isFinite(burst), 'must be finite.'),
  ]);
  const interval = options.periodMs / options.limit;
  const tolerance = interval * burst;
  return Object.freeze({
    kind: 'gcra' as const,
    params: Object.freeze({ limit: options.limit, periodMs: options.periodMs, burst }),
    maxPermits: burst,
    consume(tat: number | undefined, permits: number, now: number): RateLimitStep<number> {
      const start = Math.max(tat ?? now, now);
      const next = start + interval * permits;
      const allowAt = next - tolerance;
      if (now < allowAt) {
        const remaining = Math.max(Math.floor((now - (start - tolerance)) / interval), 0);
        return {
          decision: { allowed: false, remaining, retryAfter: Math.ceil(allowAt - now) },
          state: start,
        };
      }
      const remaining = Math.floor((now - allowAt) / interval);
      return { decision: { allowed: true, remaining, retryAfter: 0 }, state: next };
    },
  });
}
