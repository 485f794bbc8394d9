import { isTimeoutError } from '@keel/core';
import type { Clock } from '@keel/core';
import {
  exponentialBackoff,
  hedge,
  isBrokenCircuitError,
  pipeline,
  retry,
  retryBudget,
  timeout,
} from '@keel/resilience';
import type { ResiliencePolicy, RetryBudget, RetryOptions } from '@keel/resilience';
import { isUpstreamStatusError } from './errors.js';
import { isNetworkFailure } from './outgoingRequest.js';
import { retryAfterMs } from './retryAfter.js';
import type { UpstreamEvent } from './upstream.js';
import type { UpstreamSettings } from './upstreamOptions.js';

/** The pipelines of an upstream: one around every call, and three inside it chosen by method. */
export interface UpstreamPolicies {
  /** Call policies → overall timeout: around the whole call, the wait for discovery included. */
  readonly call: ResiliencePolicy<any, never>;
  /** Reads: retried, and hedged when hedging is on. */
  readonly read: ResiliencePolicy<any, never>;
  /** Idempotent writes (and calls marked idempotent): retried, never hedged. */
  readonly idempotent: ResiliencePolicy<any, never>;
  /** Other calls: retried only when the connection was refused. */
  readonly unsafe: ResiliencePolicy<any, never>;
}

/** Whether `error` says the request never reached the server (safe to send again). */
function connectionRefused(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current instanceof Error; depth++) {
    if ((current as { code?: unknown }).code === 'ECONNREFUSED') return true;
    current = current.cause;
  }
  return false;
}

/** Whether an attempt's failure is worth another attempt of an idempotent call. */
function transient(error: unknown): boolean {
  if (isBrokenCircuitError(error)) return false;
  // A request fetch refused (a TypeError without a network cause) fails the same way every time.
  return isUpstreamStatusError(error) || isTimeoutError(error) || isNetworkFailure(error);
}

function retryPolicy(
  name: string,
  settings: UpstreamSettings,
  budget: RetryBudget | undefined,
  handle: (error: unknown) => boolean,
) {
  const clock: Clock = settings.clock;
  const options: RetryOptions = {
    maxRetries: settings.maxRetries,
    backoff: settings.backoff ?? exponentialBackoff(50, { jitter: 'full', random: settings.random }),
    handle,
    retryAfter: (outcome) =>
      'error' in outcome && isUpstreamStatusError(outcome.error)
        ? retryAfterMs(outcome.error.response.headers.get('retry-after'), clock.now())
        : undefined,
    maxDelay: settings.maxRetryDelayMs,
    budget,
    clock,
    name,
  };
  return retry(options);
}

/**
 * Builds the pipelines of upstream `name`: call policies → overall timeout, then inside it
 * retry → (hedge) → attempt policies → per-try timeout.
 */
export function buildPolicies(
  name: string,
  settings: UpstreamSettings,
  emit: (event: UpstreamEvent) => void,
): UpstreamPolicies {
  const clock = settings.clock;
  const budget = settings.budget === false ? undefined : (settings.budget ?? retryBudget({ clock }));
  const total = timeout(settings.totalTimeoutMs, { operation: `Call to upstream "${name}"`, clock, name });
  const perTry = timeout(settings.timeoutMs, { operation: `Attempt at upstream "${name}"`, clock, name });
  const inner = [...settings.attemptPolicies, perTry] as const;
  const retrying = retryPolicy(name, settings, budget, transient);
  const refusedOnly = retryPolicy(name, settings, budget, connectionRefused);
  for (const policy of [retrying, refusedOnly])
    policy.onRetry(({ attempt, delay }) => emit({ kind: 'retry', attempt, delayMs: delay }));
  const hedging =
    settings.hedge === false
      ? []
      : [
          hedge({
            delay: settings.hedge.delayMs ?? 100,
            maxHedges: settings.hedge.maxHedges ?? 1,
            handle: transient,
            budget,
            clock,
            name,
          }),
        ];
  const outer = settings.callPolicies;
  return {
    call: pipeline(...outer, total) as ResiliencePolicy<any, never>,
    read: pipeline(retrying, ...hedging, ...inner) as ResiliencePolicy<any, never>,
    idempotent: pipeline(retrying, ...inner) as ResiliencePolicy<any, never>,
    unsafe: pipeline(refusedOnly, ...inner) as ResiliencePolicy<any, never>,
  };
}
