// The code of docs/guides/choosing-policies.md, quoted there verbatim
// (scripts/check-guide-excerpts.mjs), typechecked, and run by src/guide.test.ts.
import { isTimeoutError } from '@keel/core';
import {
  bulkhead,
  circuitBreaker,
  countWindow,
  decorrelatedJitterBackoff,
  exponentialBackoff,
  fallback,
  gcra,
  hedge,
  isBrokenCircuitError,
  pipeline,
  rateLimiter,
  retry,
  retryBudget,
  timeout,
  timeWindow,
} from '@keel/resilience';

// Stand-ins for the services and values the guide's excerpts talk to.
const cachedPrices = (): Record<string, number> => ({ apple: 1 });
const pricing = {
  fetch: async (_options: { signal: AbortSignal }): Promise<Record<string, number>> => ({ apple: 2 }),
};
const retryAfterMs = (error: unknown): number | undefined =>
  error instanceof Error && 'retryAfterMs' in error ? Number(error.retryAfterMs) : undefined;
const log = { warn: (message: string, fields: object): void => void [message, fields] };
const tenantId = 'tenant-1';
const userId = 'user-7';
const request = { path: '/orders' };
const handle = async (req: typeof request): Promise<string> => `handled ${req.path}`;
const replicas = {
  pick: () => ({ getUser: async (id: string, _options: { signal: AbortSignal }) => ({ id }) }),
};

const resilient = pipeline(
  fallback(() => cachedPrices(), { handle: (error) => isBrokenCircuitError(error) || isTimeoutError(error) }),
  retry({ maxRetries: 2, backoff: decorrelatedJitterBackoff(100, { maxDelay: 2_000 }) }),
  circuitBreaker({ strategy: countWindow({ size: 20, failureRatio: 0.5, minimumThroughput: 10 }) }),
  bulkhead(20, { maxQueue: 50, queueTimeout: 1_000 }),
  timeout(1_000),
);
const prices = await resilient.execute(({ signal }) => pricing.fetch({ signal }));

const budget = retryBudget({ ratio: 0.1, minRetries: 5 });
const policy = retry({
  maxRetries: 4,
  budget,
  backoff: exponentialBackoff(100, { jitter: 'full', maxDelay: 5_000 }),
  handle: (error) => !(error instanceof TypeError),
  retryAfter: (outcome) => ('error' in outcome ? retryAfterMs(outcome.error) : undefined),
});

const breaker = circuitBreaker({
  strategy: timeWindow({ windowMs: 30_000, failureRatio: 0.5, minimumThroughput: 20, slowCallRatio: 0.8 }),
  slowCallDuration: 2_000,
  breakDuration: exponentialBackoff(5_000, { maxDelay: 60_000 }),
  halfOpenProbes: 3,
  successThreshold: 2,
});
breaker.onBreak(({ reason, duration }) => log.warn('circuit opened', { reason, duration }));

const perTenant = rateLimiter(gcra({ limit: 100, periodMs: 60_000, burst: 20 }));
const reply = await perTenant.executeFor(tenantId, () => handle(request));

const fast = hedge({ delay: 80, maxHedges: 1, budget: retryBudget({ ratio: 0.05 }) });
const user = await fast.execute(({ signal }) => replicas.pick().getUser(userId, { signal }));

export { breaker, policy, prices, reply, user };
