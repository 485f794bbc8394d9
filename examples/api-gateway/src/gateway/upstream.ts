import { addSpanEvent, createEmitter, isTimeoutError, noopLogger, systemClock, withSpan } from '@keel/core';
import type { Clock, Disposer, Listener, Logger } from '@keel/core';
import {
  circuitBreaker,
  consecutiveFailures,
  exponentialBackoff,
  isBrokenCircuitError,
  pipeline,
  retry,
  timeout,
} from '@keel/resilience';
import type { CircuitBreakerPolicy } from '@keel/resilience';
import { isNoEndpointAvailableError, leastConnections, LoadBalancer, peakEwma } from '@keel/scaling';
import type { OutlierDetectionOptions } from '@keel/scaling';
import { tracedFetch } from '../http/httpTelemetry.js';
import { isUpstreamError, UpstreamError } from './errors.js';
import { propagationHeaders } from './requestContext.js';
import type { RequestContext } from './requestContext.js';

/** A replica of an upstream service: a stable id and its base URL. */
export interface UpstreamReplica {
  readonly id: string;
  readonly url: string;
}

/** Options of {@link Upstream}. */
export interface UpstreamOptions {
  /** How replicas are chosen. @default 'peak-ewma' (P2C on latency × load) */
  strategy?: 'peak-ewma' | 'least-connections';
  /** Time limit of one attempt, in ms. @default 300 */
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
   * Makes a non-idempotent request safe to retry: the backend answers a replay with the first
   * result. Without it, a `POST` is attempted once.
   */
  readonly idempotencyKey?: string;
}

/** A non-5xx answer of an upstream. */
export interface UpstreamResponse<TBody = unknown> {
  readonly status: number;
  readonly body: TBody;
  /** The replica that answered. */
  readonly replica: string;
}

/** What an upstream reports while it works: retries, breaker transitions, ejections. */
export type UpstreamEvent =
  | { readonly kind: 'retry'; readonly upstream: string; readonly attempt: number; readonly delayMs: number }
  | { readonly kind: 'breaker'; readonly upstream: string; readonly from: string; readonly to: string }
  | { readonly kind: 'ejected'; readonly upstream: string; readonly replica: string; readonly forMs: number }
  | { readonly kind: 'restored'; readonly upstream: string; readonly replica: string };

function outcomeOf(error: unknown): string {
  if (isUpstreamError(error)) return String(error.status);
  if (isTimeoutError(error)) return 'timeout';
  return 'error';
}

function createPolicies(
  name: string,
  settings: Pick<
    Required<UpstreamOptions>,
    'breakerFailures' | 'breakMs' | 'maxRetries' | 'backoffMs' | 'timeoutMs'
  >,
  clock: Clock,
  random: () => number,
) {
  return {
    // Named by the service, so their span events and metrics say which upstream they guard.
    breaker: circuitBreaker({
      strategy: consecutiveFailures(settings.breakerFailures),
      breakDuration: settings.breakMs,
      clock,
      name,
    }),
    retrying: retry({
      maxRetries: settings.maxRetries,
      backoff: exponentialBackoff(settings.backoffMs, { jitter: 'full', random }),
      // An open circuit or an empty balancer will not heal within a retry delay: fail fast.
      handle: (error) => !isBrokenCircuitError(error) && !isNoEndpointAvailableError(error),
      clock,
      name,
    }),
    perAttempt: timeout(settings.timeoutMs, { operation: `Call to ${name}`, clock, name }),
  };
}

/**
 * One upstream service behind the gateway: a load balancer over its replicas, wrapped in
 * retry → circuit breaker → timeout. Every attempt leases a replica, so a retry usually lands
 * on another one, the balancer learns each replica's latency, and outlier detection ejects a
 * replica that keeps failing. The breaker guards the service as a whole.
 */
export class Upstream {
  readonly name: string;
  readonly balancer: LoadBalancer<string>;
  readonly breaker: CircuitBreakerPolicy;
  readonly #retrying;
  readonly #once;
  readonly #events;
  readonly #clock: Clock;

  constructor(name: string, replicas: readonly UpstreamReplica[], options: UpstreamOptions = {}) {
    const settings = { ...UPSTREAM_DEFAULTS, ...options };
    this.name = name;
    const logger = options.logger ?? noopLogger;
    this.#events = createEmitter<{ event: UpstreamEvent }>({
      onListenerError: (error) => logger.error('An upstream event listener threw', { upstream: name, error }),
    });
    this.#clock = options.clock ?? systemClock;
    const random = options.random ?? Math.random;
    const clock = this.#clock;
    this.balancer = new LoadBalancer(
      replicas.map((replica) => ({ id: replica.id, value: replica.url })),
      {
        strategy: settings.strategy === 'peak-ewma' ? peakEwma() : leastConnections(),
        outlierDetection: settings.outlierDetection,
        clock,
        random,
        name,
      },
    );
    const { breaker, retrying, perAttempt } = createPolicies(name, settings, clock, random);
    this.breaker = breaker;
    this.#retrying = pipeline(retrying, breaker, perAttempt);
    this.#once = pipeline(breaker, perAttempt);
    this.#wireEvents(retrying);
  }

  /** Listens to retries, breaker transitions and ejections. @returns a disposer. */
  onEvent(listener: Listener<UpstreamEvent>): Disposer {
    return this.#events.on('event', listener);
  }

  /**
   * Calls the upstream through the resilience pipeline and the balancer.
   *
   * @returns the first non-5xx answer (4xx answers are returned, not thrown: they are the
   * caller's problem, not the replica's).
   * @throws {UpstreamError} when every attempt got a 5xx; `BrokenCircuitError` when the circuit
   * is open; `TimeoutError` when the last attempt ran out of time; `NoEndpointAvailableError`.
   */
  request<TBody = unknown>(
    context: RequestContext,
    request: UpstreamRequest,
  ): Promise<UpstreamResponse<TBody>> {
    // One span for the whole call: its attempts are CLIENT spans under it, and the policies'
    // retries, timeouts and breaker transitions become events on it.
    const attributes = { 'app.upstream.name': this.name };
    return withSpan(`upstream ${this.name}`, { attributes }, () => this.#request<TBody>(context, request));
  }

  async #request<TBody>(context: RequestContext, request: UpstreamRequest): Promise<UpstreamResponse<TBody>> {
    const retriable = (request.method ?? 'GET') === 'GET' || request.idempotencyKey !== undefined;
    const policy = retriable ? this.#retrying : this.#once;
    let sent = 0;
    try {
      return await policy.execute(
        ({ signal }) => this.#attempt<TBody>(context, request, signal, sent++),
        context.signal,
      );
    } catch (error) {
      if (isBrokenCircuitError(error))
        context.attempts.push({ upstream: this.name, replica: '-', outcome: 'breaker-open' });
      throw error;
    }
  }

  async #attempt<TBody>(
    context: RequestContext,
    request: UpstreamRequest,
    signal: AbortSignal,
    resendCount: number,
  ): Promise<UpstreamResponse<TBody>> {
    const lease = this.balancer.acquire();
    const replica = lease.endpoint.id;
    try {
      const init = {
        method: request.method ?? 'GET',
        headers: {
          ...propagationHeaders(context),
          ...(request.body === undefined ? {} : { 'content-type': 'application/json' }),
          ...(request.idempotencyKey === undefined ? {} : { 'idempotency-key': request.idempotencyKey }),
        },
        ...(request.body === undefined ? {} : { body: JSON.stringify(request.body) }),
        signal,
      };
      const span = { clock: this.#clock, resendCount, attributes: { 'app.replica.id': replica } };
      const response = await tracedFetch(`${lease.endpoint.value}${request.path}`, init, span, async (r) => ({
        status: r.status,
        body: (await r.json()) as TBody,
      }));
      const { body } = response;
      if (response.status >= 500) throw new UpstreamError(this.name, replica, response.status);
      lease.success();
      context.attempts.push({ upstream: this.name, replica, outcome: String(response.status) });
      return { status: response.status, body, replica };
    } catch (error) {
      // The client leaving is not the replica's fault; a timeout or a 5xx is.
      if (context.signal.aborted) lease.release();
      else lease.failure(error);
      context.attempts.push({ upstream: this.name, replica, outcome: outcomeOf(error) });
      throw error;
    }
  }

  #wireEvents(retrying: ReturnType<typeof retry>): void {
    const emit = (event: UpstreamEvent): void => this.#events.emit('event', event);
    const upstream = this.name;
    retrying.onRetry(({ attempt, delay }) => emit({ kind: 'retry', upstream, attempt, delayMs: delay }));
    this.breaker.onStateChange(({ from, to }) => emit({ kind: 'breaker', upstream, from, to }));
    this.balancer.onEjected(({ id, until }) => {
      const forMs = until - this.#clock.now();
      // On the span of the attempt whose failure ejected the replica (the balancer counts
      // ejections as a metric only).
      addSpanEvent('balancer.ejected', {
        'keel.balancer.name': upstream,
        'app.replica.id': id,
        'app.ejected_ms': forMs,
      });
      emit({ kind: 'ejected', upstream, replica: id, forMs });
    });
    this.balancer.onRestored(({ id }) => emit({ kind: 'restored', upstream, replica: id }));
  }
}
