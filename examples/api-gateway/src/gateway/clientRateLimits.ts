import type { Clock } from '@keel/core';
import { rateLimitCheck, rateLimitedProblem } from '@keel/http';
import type { HttpMiddleware, RateLimitVerdict } from '@keel/http';
import { tokenBucket } from '@keel/resilience';
import type { RateLimitStore, TokenBucketOptions } from '@keel/resilience';
import type { TokenClaims } from './auth.js';
import { requestContextOf } from './requestContext.js';

/** A token bucket per plan: how big a burst a client may send and how fast it refills. */
export type PlanLimits = Readonly<Record<TokenClaims['plan'], TokenBucketOptions>>;

/** The default plans: `free` bursts 5 then 2/s; `partner` bursts 100 then 50/s. */
export const DEFAULT_PLAN_LIMITS: PlanLimits = Object.freeze({
  free: { capacity: 5, refillPerSecond: 2 },
  partner: { capacity: 100, refillPerSecond: 50 },
});

/**
 * Per-client rate limits as middleware (after authentication): one `@keel/http`
 * `rateLimitCheck` per plan, keyed by client id, so one greedy client cannot starve the others.
 * Every answer carries the IETF `RateLimit-Policy` and `RateLimit` headers; a refusal is a 429
 * with `Retry-After` in whole seconds. Pass a Redis `RateLimitStore` from `@keel/redis` as
 * `store` to enforce one limit across several gateway instances.
 */
export function clientRateLimits(
  plans: PlanLimits = DEFAULT_PLAN_LIMITS,
  options: { readonly clock?: Clock | undefined; readonly store?: RateLimitStore | undefined } = {},
): HttpMiddleware {
  const checks = new Map<string, (clientId: string) => Promise<RateLimitVerdict>>();
  for (const [plan, bucket] of Object.entries(plans)) {
    const check = rateLimitCheck<string>({
      algorithm: tokenBucket(bucket),
      name: `plan-${plan}`,
      policyName: plan,
      key: (clientId) => clientId,
      clock: options.clock,
      store: options.store,
    });
    checks.set(plan, check);
  }
  return async (req, res, next) => {
    const { claims } = requestContextOf(req);
    if (claims === undefined) return next();
    const verdict = await checks.get(claims.plan)!(claims.sub);
    if (!verdict.allowed) throw rateLimitedProblem(verdict.headers);
    for (const [name, value] of Object.entries(verdict.headers)) res.setHeader(name, value);
    await next();
  };
}
