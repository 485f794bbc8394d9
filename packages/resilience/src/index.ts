export { RetryPolicy, retry } from './retry/retry.js';
export type { RetryContext, RetryOptions, RetryOutcome, RetryEvent, GiveUpEvent } from './retry/retry.js';
export { retryBudget } from './retry/retryBudget.js';
export type { RetryBudget, RetryBudgetOptions } from './retry/retryBudget.js';

export {
  constantBackoff,
  linearBackoff,
  exponentialBackoff,
  decorrelatedJitterBackoff,
  clampDelay,
  isBackoff,
} from './backoff/backoff.js';
export type {
  Backoff,
  BackoffSequence,
  BackoffOptions,
  Jitter,
  LinearBackoffOptions,
  ExponentialBackoffOptions,
  DecorrelatedJitterOptions,
} from './backoff/backoff.js';

export { TimeoutPolicy, timeout } from './timeout/timeout.js';
export type { TimeoutOptions, TimeoutStrategy, TimeoutEvent } from './timeout/timeout.js';

export { CircuitBreakerPolicy, circuitBreaker } from './circuitBreaker/circuitBreaker.js';
export type {
  CircuitBreakerOptions,
  BreakEvent,
  StateChangeEvent,
} from './circuitBreaker/circuitBreakerOptions.js';
export { consecutiveFailures, countWindow, timeWindow } from './circuitBreaker/breakerStrategy.js';
export type {
  BreakerStrategy,
  BreakerWindow,
  TripReason,
  RatioThresholds,
  CountWindowOptions,
  TimeWindowOptions,
} from './circuitBreaker/breakerStrategy.js';
export type { CircuitState, CircuitBreakerSnapshot } from './circuitBreaker/snapshot.js';

export { BulkheadPolicy, bulkhead } from './bulkhead/bulkhead.js';
export type { BulkheadOptions, BulkheadRejectEvent } from './bulkhead/bulkhead.js';

export { FallbackPolicy, fallback } from './fallback/fallback.js';
export type { FallbackOptions, FallbackOutcome, FallbackHandler } from './fallback/fallback.js';

export { RateLimiterPolicy, rateLimiter, DEFAULT_RATE_LIMIT_KEY } from './rateLimiter/rateLimiter.js';
export type { RateLimiterOptions, AcquireOptions, RateLimitRejectEvent } from './rateLimiter/rateLimiter.js';
export { tokenBucket } from './rateLimiter/tokenBucket.js';
export type { TokenBucketOptions, TokenBucketState } from './rateLimiter/tokenBucket.js';
export { slidingWindow } from './rateLimiter/slidingWindow.js';
export type { SlidingWindowOptions, SlidingWindowState } from './rateLimiter/slidingWindow.js';
export { gcra } from './rateLimiter/gcra.js';
export type { GcraOptions } from './rateLimiter/gcra.js';
export type {
  RateLimitAlgorithm,
  RateLimitDecision,
  RateLimitStep,
} from './rateLimiter/rateLimitAlgorithm.js';
export { InMemoryRateLimitStore } from './rateLimiter/rateLimitStore.js';
export type { RateLimitStore, InMemoryRateLimitStoreOptions } from './rateLimiter/rateLimitStore.js';

export { HedgePolicy, hedge } from './hedge/hedge.js';
export type { HedgeContext, HedgeOptions, HedgeEvent } from './hedge/hedge.js';

export { ChaosPolicy, chaos } from './chaos/chaos.js';
export type { ChaosOptions, ChaosEvent } from './chaos/chaos.js';

export { pipeline } from './pipeline/pipeline.js';
export type { ResiliencePolicy, Pipeline, PipelineContext, ContextOf, ExtraOf } from './pipeline/pipeline.js';

// The one seeded generator lives in core; re-exported so `@keel/resilience` imports keep working.
export { seededRandom } from '@keel/core';
export type { SeededRandom } from '@keel/core';

export type { PolicyOutcome, OutcomeKind, PolicyKind } from './internal/executor.js';

export {
  RESILIENCE_ERROR_CODES,
  BrokenCircuitError,
  BulkheadRejectedError,
  RateLimitedError,
  ChaosFaultError,
  isBrokenCircuitError,
  isBulkheadRejectedError,
  isRateLimitedError,
  isChaosFaultError,
} from './errors/errors.js';
export type { BrokenCircuitReason, BrokenCircuitInfo, BulkheadRejectionReason } from './errors/errors.js';
