import { rateLimiter, tokenBucket } from '@keel/resilience';
import type { RateLimitDecision, RateLimiterPolicy, TokenBucketOptions } from '@keel/resilience';
import type { Clock } from '@keel/core';
import type { TokenClaims } from './auth.js';

/** A token bucket per plan: how big a burst a client may send and how fast it refills. */
export type PlanLimits = Readonly<Record<TokenClaims['plan'], TokenBucketOptions>>;

/** The default plans: `free` bursts 5 then 2/s; `partner` bursts 100 then 50/s. */
export const DEFAULT_PLAN_LIMITS: PlanLimits = Object.freeze({
  free: { capacity: 5, refillPerSecond: 2 },
  partner: { capacity: 100, refillPerSecond: 50 },
});

/** Per-client rate limits: one limiter per plan, partitioned by client id. */
export interface ClientRateLimits {
  /**
   * Takes one permit for the client.
   * @throws {RateLimitedError} with `retryAfter` (ms) when the client's bucket is empty.
   */
  take(claims: TokenClaims, signal?: AbortSignal): Promise<RateLimitDecision>;
}

/**
 * Creates per-client rate limits. Each plan gets its own `rateLimiter`; within a plan, every
 * client id has its own bucket (`acquire(clientId)`), so one greedy client cannot starve the
 * others. Pass a shared `RateLimitStore` (e.g. Redis from `@keel/redis`) through
 * `rateLimiter`'s `store` option to enforce one limit across several gateway instances.
 */
export function createClientRateLimits(
  plans: PlanLimits = DEFAULT_PLAN_LIMITS,
  clock?: Clock,
): ClientRateLimits {
  const limiters = new Map<TokenClaims['plan'], RateLimiterPolicy>();
  for (const [plan, bucket] of Object.entries(plans) as [TokenClaims['plan'], TokenBucketOptions][]) {
    limiters.set(plan, rateLimiter(tokenBucket(bucket), { name: `plan-${plan}`, ...(clock && { clock }) }));
  }
  return {
    take: (claims, signal) =>
      limiters.get(claims.plan)!.acquire(claims.sub, signal === undefined ? {} : { signal }),
  };
}
