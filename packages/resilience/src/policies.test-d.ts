import type { Policy, PolicyContext } from '@keel/core';
import { describe, expectTypeOf, it } from 'vitest';
import { bulkhead } from './bulkhead/bulkhead.js';
import { chaos } from './chaos/chaos.js';
import { circuitBreaker } from './circuitBreaker/circuitBreaker.js';
import { fallback } from './fallback/fallback.js';
import { hedge } from './hedge/hedge.js';
import type { ResiliencePolicy } from './pipeline/pipeline.js';
import { rateLimiter } from './rateLimiter/rateLimiter.js';
import { tokenBucket } from './rateLimiter/tokenBucket.js';
import { retry } from './retry/retry.js';
import { timeout } from './timeout/timeout.js';

describe('every policy implements the core Policy', () => {
  it('retry, breaker, timeout, bulkhead, rate limiter, hedge and plain chaos are core Policies', () => {
    expectTypeOf(retry()).toExtend<Policy>();
    expectTypeOf(circuitBreaker()).toExtend<Policy>();
    expectTypeOf(timeout(1)).toExtend<Policy>();
    expectTypeOf(bulkhead(1)).toExtend<Policy>();
    expectTypeOf(rateLimiter(tokenBucket({ capacity: 1, refillPerSecond: 1 }))).toExtend<Policy>();
    expectTypeOf(hedge()).toExtend<Policy>();
    expectTypeOf(chaos({ faultRate: 0.1 })).toExtend<Policy>();
  });

  it('policies that substitute a value widen the result instead', () => {
    expectTypeOf(fallback(0)).toExtend<ResiliencePolicy<PolicyContext, number>>();
    expectTypeOf(chaos({ resultRate: 1, result: () => 'fake' as const })).toExtend<
      ResiliencePolicy<PolicyContext, 'fake'>
    >();
  });

  it('retry and hedge hand the attempt number to the function', () => {
    void retry().execute((context) => expectTypeOf(context.attempt).toEqualTypeOf<number>());
    void hedge().execute((context) => expectTypeOf(context.attempt).toEqualTypeOf<number>());
  });

  it('execute resolves to the function result', () => {
    expectTypeOf(retry().execute(async () => 42)).resolves.toEqualTypeOf<number>();
    expectTypeOf(timeout(1).execute(() => 'x')).resolves.toEqualTypeOf<string>();
  });
});
