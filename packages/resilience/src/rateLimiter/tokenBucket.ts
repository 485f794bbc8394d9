import { assertOptions, optionInteger, optionNumber } from '@keel/core';
import { firstGrantDelay } from './rateLimitAlgorithm.js';
import type { RateLimitAlgorithm, RateLimitStep } from './rateLimitAlgorithm.js';

/** Options of {@link tokenBucket}. Both are required. */
export interface TokenBucketOptions {
  /** The most tokens the bucket holds (the burst size): an integer >= 1. */
  capacity: number;
  /** Tokens added per second, continuously: a number > 0. */
  refillPerSecond: number;
}

/** A bucket: its tokens as of `updatedAt` (epoch ms), the latest time any caller saw. */
export interface TokenBucketState {
  readonly tokens: number;
  readonly updatedAt: number;
}

/**
 * Token counts are compared with this much slack, so the rounding of `elapsed × rate / 1000`
 * never refuses a token that is due. At 0.001 token/s or more, a whole ms adds at least 1e-6
 * token, far above the slack, so it never grants a token a millisecond early either.
 */
const TOKEN_SLACK = 1e-9;

/**
 * The bucket as of `max(now, updatedAt)`: refilled for the time since `updatedAt`, never for
 * time that went backwards. A caller whose clock lags sees the bucket as of the latest time any
 * caller saw, and keeps that time: it can never make the next caller be refilled again for the
 * same milliseconds (which, with clocks a few ms apart, would multiply the rate).
 */
function refill(
  state: TokenBucketState | undefined,
  now: number,
  capacity: number,
  refillPerSecond: number,
): TokenBucketState {
  if (state === undefined) return { tokens: capacity, updatedAt: now };
  const at = Math.max(now, state.updatedAt);
  const tokens = Math.min(capacity, state.tokens + ((at - state.updatedAt) * refillPerSecond) / 1_000);
  return { tokens, updatedAt: at };
}

/**
 * A token bucket: bursts up to `capacity`, refilled at `refillPerSecond`.
 *
 * The arithmetic, which every store (e.g. the Redis script) repeats step by step:
 * `at = max(now, updatedAt)`; `tokens = min(capacity, tokens + (at − updatedAt) × refillPerSecond / 1000)`
 * (a new key is full, at `now`); granted when `tokens + 1e-9 >= permits`, leaving
 * `max(tokens − permits, 0)`; the state `{ tokens, updatedAt: at }` is written back in either
 * case; `remaining = floor(tokens left + 1e-9)`; a refusal's `retryAfter` is the smallest whole
 * `d >= 1` for which the same rule grants at `now + d` on the written state.
 *
 * @throws ValidationError when `capacity` is missing or not an integer >= 1, or `refillPerSecond` is missing or not > 0.
 * @example
 * ```ts
 * rateLimiter(tokenBucket({ capacity: 20, refillPerSecond: 5 }));
 * ```
 */
export function tokenBucket(options: TokenBucketOptions): RateLimitAlgorithm<TokenBucketState> {
  const given: Partial<TokenBucketOptions> = options ?? {};
  assertOptions('tokenBucket', {
    capacity: optionInteger(given.capacity, { min: 1, required: true }),
    refillPerSecond: optionNumber(given.refillPerSecond, { min: 0, exclusiveMin: true, required: true }),
  });
  const { capacity, refillPerSecond } = options;
  const grants = (state: TokenBucketState, permits: number, at: number): boolean =>
    refill(state, at, capacity, refillPerSecond).tokens + TOKEN_SLACK >= permits;
  return Object.freeze({
    kind: 'token-bucket' as const,
    params: Object.freeze({ capacity, refillPerSecond }),
    maxPermits: capacity,
    consume(
      state: TokenBucketState | undefined,
      permits: number,
      now: number,
    ): RateLimitStep<TokenBucketState> {
      const bucket = refill(state, now, capacity, refillPerSecond);
      if (bucket.tokens + TOKEN_SLACK >= permits) {
        const tokens = Math.max(bucket.tokens - permits, 0);
        return {
          decision: { allowed: true, remaining: Math.floor(tokens + TOKEN_SLACK), retryAfter: 0 },
          state: { tokens, updatedAt: bucket.updatedAt },
        };
      }
      const estimate = bucket.updatedAt - now + ((permits - bucket.tokens) * 1_000) / refillPerSecond;
      const retryAfter = firstGrantDelay(estimate, (delay) => grants(bucket, permits, now + delay));
      return {
        decision: { allowed: false, remaining: Math.floor(bucket.tokens + TOKEN_SLACK), retryAfter },
        state: bucket,
      };
    },
  });
}
