import { AsyncLocalStorage } from 'node:async_hooks';
import { createEmitter, isTimeoutError, noopLogger, systemClock, withDefaults } from '@keel/core';
import type { Clock, Disposer, Listener, Logger } from '@keel/core';
import { createUpstream } from '@keel/http';
import type { Upstream, UpstreamResponse } from '@keel/http';
import {
  circuitBreaker,
  consecutiveFailures,
  exponentialBackoff,
  isBrokenCircuitError,
} from '@keel/resilience';
import type { CircuitBreakerPolicy } from '@keel/resilience';
import { leastConnections, peakEwma } from '@keel/scaling';
import type { EndpointStats, OutlierDetectionOptions } from '@keel/scaling';
import { propagationHeaders } from './requestContext.js';
import type { RequestContext, UpstreamAttempt } from './requestContext.js';

/** A replica of an upstream service: a stable id and its base URL. */
export interface UpstreamReplica {
  readonly id: string;
  readonly url: string;
}

/** The demo's knobs of one service, mapped onto `@keel/http`'s `createUpstream` options. */
export interface UpstreamOptions {
  /** How replicas are chosen. @default 'peak-ewma' (P2C on latency × load) */
  strategy?: 'peak-ewma' | 'least-connections';
  /** Time limit of one attempt, body included, in ms. @default 300 */
  timeoutMs?: number;
  /** Retries after the first attempt (idempotent requests only). @default 2 */
  maxRetries?: number;
  /** First retry delay in ms, doubled each retry, full jitter. @default 25 */
  backoffMs?: number;
  /** Failed attempts in a row that open the circuit. @default 5 */
  breakerFailures?: number;
  /** How long the circuit stays open before a probe, in ms. @default 5_000 */
  breakMs?: number;
  /** Passive outlier detection over the replicas, or `false`. @default { consecutiveFailures: 3, baseEjectionMs: 5_000 } */
  outlierDetection?: OutlierDetectionOptions | false;
  /** Source of time for every policy. @default systemClock */
  clock?: Clock;
  /** Randomness for the balancer and the jitter. @default Math.random */
  random?: () => number;
  /** Receives errors thrown by `onEvent` listeners (they never break a call). @default noopLogger */
  logger?: Logger;
}

/** The defaults of {@link UpstreamOptions}. */
export const UPSTREAM_DEFAULTS = Object.freeze({
  strategy: 'peak-ewma' as const,
  timeoutMs: 300,
  maxRetries: 2,
  backoffMs: 25,
  breakerFailures: 5,
  breakMs: 5_000,
  outlierDetection: Object.freeze({ consecutiveFailures: 3, baseEjectionMs: 5_000 }),
});

/** One call to an upstream service. */
export interface UpstreamRequest {
  /** @default 'GET' */
  readonly method?: 'GET' | 'POST';
  /** Path and query, e.g. `/orders?userId=ada`. */
  readonly path: string;
  /** JSON body. */
  readonly body?: unknown;
  /**
   * Makes a `POST` safe to retry: the backend answers a replay with the first result. Without
   * it, a `POST` is sent again only when the connection was refused.
   */
  readonly idempotencyKey?: string;
}

/** What an upstream reports while it works: retries, breaker transitions, ejections. */
export type UpstreamEvent =
  | { readonly kind: 'retry'; readonly upstream: string; readonly attempt: number; readonly delayMs: number }
  | { readonly kind: 'breaker'; readonly upstream: string; readonly from: string; readonly to: string }
  | { readonly kind: 'ejected'; readonly upstream: string; readonly replica: string; readonly forMs: number }
  | { readonly kind: 'restored'; readonly upstream: string; readonly replica: string };

/** The attempt list of the gateway request an upstream call is made for (for `x-upstream-trace`). */
const attemptLog = new AsyncLocalStorage<UpstreamAttempt[]>();

/** What went wrong with an attempt that got no answer. */
function outcomeOf(signal: AbortSignal | null | undefined, error: unknown): string {
  return isTimeoutError(error) || (signal?.aborted === true && isTimeoutError(signal.reason))
    ? 'timeout'
    : 'error';
}

/**
 * `fetch` that notes every attempt's replica and outcome in the request's attempt list: the
 * `@keel/http` client sends each attempt through it, so it sees retries the caller does not.
 */
function recordingFetch(name: string, replicas: readonly UpstreamReplica[]): typeof fetch {
  const byOrigin = new Map(replicas.map((replica) => [new URL(replica.url).origin, replica.id]));
  return async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const replica = byOrigin.get(url.origin) ?? url.host;
    const attempts = attemptLog.getStore();
    try {
      const response = await fetch(input, init);
      attempts?.push({ upstream: name, replica, outcome: String(response.status) });
      return response;
    } catch (error) {
      attempts?.push({ upstream: name, replica, outcome: outcomeOf(init?.signal, error) });
      throw error;
    }
  };
}

/**
 * One upstream service behind the gateway: `@keel/http`'s {@link Upstream} (a load balancer
 * over the replicas with outlier ejection, retry with backoff, a per-try timeout) plus a circuit
 * breaker per service as its attempt policy, so every failed attempt counts towards opening it.
 * This class only adds what the demo shows: the gateway's ids as headers, the attempt list
 * behind `x-upstream-trace`, and one event stream for the tour.
 */
export class ServiceUpstream {
  readonly name: string;
  /** The `@keel/http` client doing the work. */
  readonly client: Upstream;
  readonly breaker: CircuitBreakerPolicy;
  readonly #events;
  readonly #clock: Clock;

  constructor(name: string, replicas: readonly UpstreamReplica[], options: UpstreamOptions = {}) {
    const settings = withDefaults(UPSTREAM_DEFAULTS, options);
    const clock = options.clock ?? systemClock;
    const random = options.random ?? Math.random;
    const logger = options.logger ?? noopLogger;
    this.name = name;
    this.#clock = clock;
    this.#events = createEmitter<{ event: UpstreamEvent }>({
      onListenerError: (error) => logger.error('An upstream event listener threw', { upstream: name, error }),
    });
    // Named by the service, so its span events and metrics say which upstream it guards.
    this.breaker = circuitBreaker({
      strategy: consecutiveFailures(settings.breakerFailures),
      breakDuration: settings.breakMs,
      clock,
      name,
    });
    this.client = createUpstream(name, {
      endpoints: replicas.map(({ id, url }) => ({ id, url })),
      strategy: settings.strategy === 'peak-ewma' ? () => peakEwma() : () => leastConnections(),
      outlierDetection: settings.outlierDetection,
      timeoutMs: settings.timeoutMs,
      maxRetries: settings.maxRetries,
      backoff: exponentialBackoff(settings.backoffMs, { jitter: 'full', random }),
      // The tour injects failures on purpose and wants every retry it narrates; a service in
      // production keeps the default budget, which caps retries to a share of its calls.
      budget: false,
      attemptPolicies: [this.breaker],
      fetch: recordingFetch(name, replicas),
      clock,
      random,
      logger,
    });
    this.#wireEvents();
  }

  /** Listens to retries, breaker transitions and ejections. @returns a disposer. */
  onEvent(listener: Listener<UpstreamEvent>): Disposer {
    return this.#events.on('event', listener);
  }

  /** Every replica's counters (in flight, latency, ejected …). */
  stats(): EndpointStats[] {
    return this.client.stats();
  }

  /**
   * Calls the upstream for a gateway request, with the request's ids and its client signal.
   *
   * @returns the answer, even a 5xx once retries ran out (the BFFs decide what it means).
   * @throws `BrokenCircuitError` when the circuit is open; `TimeoutError` when the last attempt ran
   * out of time; `NoEndpointAvailableError`; the abort reason when the client went away.
   */
  async request(context: RequestContext, request: UpstreamRequest): Promise<UpstreamResponse> {
    const headers = {
      ...propagationHeaders(context),
      ...(request.idempotencyKey === undefined ? {} : { 'idempotency-key': request.idempotencyKey }),
    };
    const call = { method: request.method ?? 'GET', path: request.path, headers, signal: context.signal };
    try {
      return await attemptLog.run(context.attempts, () =>
        this.client.request(request.body === undefined ? call : { ...call, json: request.body }),
      );
    } catch (error) {
      if (isBrokenCircuitError(error))
        context.attempts.push({ upstream: this.name, replica: '-', outcome: 'breaker-open' });
      throw error;
    }
  }

  #wireEvents(): void {
    const emit = (event: UpstreamEvent): void => this.#events.emit('event', event);
    const upstream = this.name;
    this.breaker.onStateChange(({ from, to }) => emit({ kind: 'breaker', upstream, from, to }));
    this.client.onEvent((event) => {
      if (event.kind === 'retry')
        emit({ kind: 'retry', upstream, attempt: event.attempt, delayMs: event.delayMs });
      if (event.kind === 'restored') emit({ kind: 'restored', upstream, replica: event.endpoint });
      // The balancer itself puts a `balancer.ejected` event on the span of the failing call.
      if (event.kind === 'ejected')
        emit({ kind: 'ejected', upstream, replica: event.endpoint, forMs: event.until - this.#clock.now() });
    });
  }
}
