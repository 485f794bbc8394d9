import {
  assertOptions,
  noopLogger,
  optionClock,
  optionFunction,
  optionInteger,
  optionNumber,
  optionRule,
  optionString,
  systemClock,
  withDefaults,
} from '@keel/core';
import type { Clock, Logger } from '@keel/core';
import type { Backoff, ResiliencePolicy, RetryBudget } from '@keel/resilience';
import type { BalancingStrategy, OutlierDetectionOptions } from '@keel/scaling';
import type { UpstreamEndpoint, VersionRouting } from './endpointPools.js';
import { endpointOrigin } from './outgoingRequest.js';

/** Hedging of reads: extra attempts on other endpoints when the first is slow. */
export interface UpstreamHedgeOptions {
  /** Ms to wait for an attempt before sending the next. @default 100 */
  delayMs?: number | undefined;
  /** Extra attempts beyond the first. @default 1 */
  maxHedges?: number | undefined;
}

/** Options of {@link createUpstream}; an option left out or `undefined` keeps its default. */
export interface UpstreamOptions {
  /**
   * The endpoints, when they are known up front; each URL must be an absolute http(s) URL.
   * @default none (then `discover` is required)
   */
  endpoints?: readonly UpstreamEndpoint[] | undefined;
  /**
   * Finds the endpoints (a DNS SRV lookup, a Kubernetes endpoints list …); called at once and
   * then every `discoveryIntervalMs`. A failure keeps the last known endpoints.
   * @default none
   */
  discover?: ((signal: AbortSignal) => Promise<readonly UpstreamEndpoint[]>) | undefined;
  /** How often `discover` runs, in ms. @default 30_000 */
  discoveryIntervalMs?: number | undefined;
  /** Makes the balancing strategy of each version's pool (a strategy keeps state, so one each). @default peakEwma */
  strategy?: (() => BalancingStrategy) | undefined;
  /** Passive outlier detection per endpoint, or `false`. @default the @keel/scaling defaults */
  outlierDetection?: OutlierDetectionOptions | false | undefined;
  /** Which statuses count against the endpoint that sent them (outlier detection). @default 5xx */
  isEndpointFailure?: ((status: number) => boolean) | undefined;
  /** An answer slower than this, in ms, counts against its endpoint too. @default Infinity */
  slowCallMs?: number | undefined;
  /** Statuses that fail an attempt, so it is retried or hedged. @default [408, 429, 500, 502, 503, 504] */
  retryStatuses?: readonly number[] | undefined;
  /** Retries after the first attempt. @default 2 */
  maxRetries?: number | undefined;
  /** Delays between attempts. @default exponentialBackoff(50, full jitter) */
  backoff?: Backoff | undefined;
  /**
   * Retry POST and PATCH like idempotent methods. Without it they are retried only when the
   * connection was refused (the request never reached the server) or they carry an
   * `Idempotency-Key` header.
   * @default false
   */
  retryNonIdempotent?: boolean | undefined;
  /** The longest wait before a retry, `Retry-After` included, in ms. @default 30_000 */
  maxRetryDelayMs?: number | undefined;
  /** Caps retries and hedges to a share of calls; `false` for none. @default retryBudget() (20 % + 10 per 10 s) */
  budget?: RetryBudget | false | undefined;
  /** Hedge reads (GET, HEAD, OPTIONS); `false` for none. @default false */
  hedge?: UpstreamHedgeOptions | false | undefined;
  /** Time limit of one attempt, body included, in ms. @default 10_000 */
  timeoutMs?: number | undefined;
  /** Time limit of a whole call, retries included, in ms. @default 30_000 */
  totalTimeoutMs?: number | undefined;
  /** Policies around the whole call, outermost first (a circuit breaker, a bulkhead …). @default [] */
  callPolicies?: readonly ResiliencePolicy<any, never>[] | undefined;
  /** Policies around each attempt, outermost first (inside retry and hedge). @default [] */
  attemptPolicies?: readonly ResiliencePolicy<any, never>[] | undefined;
  /** Weighted or header routing between endpoint versions. @default by endpoint count */
  versions?: VersionRouting | undefined;
  /** Headers sent with every request. @default {} */
  headers?: Readonly<Record<string, string>> | undefined;
  /** The fetch implementation (inject one in tests). @default globalThis.fetch */
  fetch?: typeof fetch | undefined;
  /** Source of time for every policy, the balancers and discovery. @default systemClock */
  clock?: Clock | undefined;
  /** Randomness for balancing, version routing and jitter. @default Math.random */
  random?: (() => number) | undefined;
  /** Receives discovery failures and listener errors. @default noopLogger */
  logger?: Logger | undefined;
}

/** The defaults of {@link UpstreamOptions}. */
export const UPSTREAM_DEFAULTS = Object.freeze({
  discoveryIntervalMs: 30_000,
  isEndpointFailure: (status: number): boolean => status >= 500,
  slowCallMs: Infinity,
  retryStatuses: Object.freeze([408, 429, 500, 502, 503, 504]) as readonly number[],
  maxRetries: 2,
  retryNonIdempotent: false,
  maxRetryDelayMs: 30_000,
  hedge: false as UpstreamHedgeOptions | false,
  timeoutMs: 10_000,
  totalTimeoutMs: 30_000,
  callPolicies: Object.freeze([]) as readonly ResiliencePolicy<any, never>[],
  attemptPolicies: Object.freeze([]) as readonly ResiliencePolicy<any, never>[],
  versions: Object.freeze({}) as VersionRouting,
  headers: Object.freeze({}) as Readonly<Record<string, string>>,
  clock: systemClock as Clock,
  random: Math.random as () => number,
  logger: noopLogger as Logger,
});

/** Merges and checks the options of upstream `name`. @throws ValidationError listing every bad option. */
export function upstreamSettings(name: string, options: UpstreamOptions | undefined) {
  const settings = withDefaults(UPSTREAM_DEFAULTS, options);
  const timing = { min: 0, exclusiveMin: true, infinity: true };
  const badUrls = Array.isArray(settings.endpoints)
    ? settings.endpoints.filter((endpoint) => endpointOrigin(endpoint?.url) === undefined).map((e) => e?.url)
    : [];
  assertOptions(`upstream "${name}"`, {
    name: optionString(name, true),
    endpoints: optionRule(
      settings.endpoints !== undefined || settings.discover !== undefined,
      'must be given when there is no discover function (an upstream needs endpoints from somewhere).',
    ),
    'endpoints.url': optionRule(
      badUrls.length === 0,
      `must each be an absolute http(s) URL without credentials, e.g. "http://10.0.0.7:8080" (got ${badUrls.map((url) => JSON.stringify(url)).join(', ')}).`,
    ),
    discover: optionFunction(settings.discover),
    discoveryIntervalMs: optionNumber(settings.discoveryIntervalMs, { min: 1 }),
    strategy: optionFunction(settings.strategy),
    isEndpointFailure: optionFunction(settings.isEndpointFailure),
    slowCallMs: optionNumber(settings.slowCallMs, timing),
    maxRetries: optionInteger(settings.maxRetries, { min: 0, max: 100 }),
    maxRetryDelayMs: optionNumber(settings.maxRetryDelayMs, { min: 0, infinity: true }),
    timeoutMs: optionNumber(settings.timeoutMs, timing),
    totalTimeoutMs: optionNumber(settings.totalTimeoutMs, timing),
    fetch: optionFunction(settings.fetch),
    clock: optionClock(settings.clock, ['now', 'setTimeout', 'sleep']),
    random: optionFunction(settings.random),
    'hedge.delayMs': settings.hedge === false ? undefined : optionNumber(settings.hedge.delayMs, { min: 0 }),
  });
  return Object.freeze(settings);
}

/** The merged settings of an upstream. */
export type UpstreamSettings = ReturnType<typeof upstreamSettings>;
