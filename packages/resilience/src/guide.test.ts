// The snippets of docs/guides/choosing-policies.md, verbatim inside functions, run with fakes.
import { isTimeoutError } from '@keel/core';
import { describe, expect, it } from 'vitest';
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
} from './index.js';

const cachedPrices = (): string[] => ['cached'];
const pricing = { fetch: async (_: { signal: AbortSignal }): Promise<string[]> => ['live'] };
const retryAfterMs = (error: unknown): number | undefined =>
  (error as { retryAfterMs?: number }).retryAfterMs;
const warnings: unknown[] = [];
const log = { warn: (message: string, fields: unknown) => warnings.push({ message, fields }) };
const tenantId = 'tenant-1';
const request = { path: '/orders' };
const handle = async (req: { path: string }): Promise<string> => `handled ${req.path}`;
const replicas = { pick: () => ({ getUser: async (id: string, _: { signal: AbortSignal }) => ({ id }) }) };
const userId = 'u-7';

async function orderSnippet(): Promise<string[]> {
  const resilient = pipeline(
    fallback(() => cachedPrices(), {
      handle: (error) => isBrokenCircuitError(error) || isTimeoutError(error),
    }),
    retry({ maxRetries: 2, backoff: decorrelatedJitterBackoff(100, { maxDelay: 2_000 }) }),
    circuitBreaker({ strategy: countWindow({ size: 20, failureRatio: 0.5, minimumThroughput: 10 }) }),
    bulkhead(20, { maxQueue: 50, queueTimeout: 1_000 }),
    timeout(1_000),
  );
  const prices = await resilient.execute(({ signal }) => pricing.fetch({ signal }));
  return prices;
}

function retrySnippet() {
  const budget = retryBudget({ ratio: 0.1, minRetries: 5 });
  const policy = retry({
    maxRetries: 4,
    budget,
    backoff: exponentialBackoff(100, { jitter: 'full', maxDelay: 5_000 }),
    handle: (error) => !(error instanceof TypeError),
    retryAfter: (outcome) => ('error' in outcome ? retryAfterMs(outcome.error) : undefined),
  });
  return policy;
}

function breakerSnippet() {
  const breaker = circuitBreaker({
    strategy: timeWindow({ windowMs: 30_000, failureRatio: 0.5, minimumThroughput: 20, slowCallRatio: 0.8 }),
    slowCallDuration: 2_000,
    breakDuration: exponentialBackoff(5_000, { maxDelay: 60_000 }),
    halfOpenProbes: 3,
    successThreshold: 2,
  });
  breaker.onBreak(({ reason, duration }) => log.warn('circuit opened', { reason, duration }));
  return breaker;
}

async function limiterAndHedgeSnippet(): Promise<[string, { id: string }]> {
  const perTenant = rateLimiter(gcra({ limit: 100, periodMs: 60_000, burst: 20 }));
  const reply = await perTenant.executeFor(tenantId, () => handle(request));

  const fast = hedge({ delay: 80, maxHedges: 1, budget: retryBudget({ ratio: 0.05 }) });
  const user = await fast.execute(({ signal }) => replicas.pick().getUser(userId, { signal }));
  return [reply, user];
}

describe('choosing-policies guide snippets', () => {
  it('the ordered pipeline returns the live prices', async () => {
    await expect(orderSnippet()).resolves.toEqual(['live']);
  });

  it('the retry snippet does not retry a TypeError', async () => {
    let calls = 0;
    const failing = retrySnippet().execute(() => {
      calls++;
      throw new TypeError('bug');
    });
    await expect(failing).rejects.toThrow('bug');
    expect(calls).toBe(1);
  });

  it('the breaker snippet builds a closed breaker', () => {
    expect(breakerSnippet().state).toBe('closed');
  });

  it('the rate limiter and hedge snippets answer', async () => {
    await expect(limiterAndHedgeSnippet()).resolves.toEqual(['handled /orders', { id: 'u-7' }]);
  });
});
