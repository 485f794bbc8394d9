import { createEmitter, throwIfAborted, withSpan } from '@keel/core';
import type { Disposer, Listener } from '@keel/core';
import type { ResiliencePolicy } from '@keel/resilience';
import type { EndpointStats } from '@keel/scaling';
import { sendAttempt } from './attempt.js';
import type { AttemptDeps, PreparedCall } from './attempt.js';
import { Discovery } from './discovery.js';
import { EndpointPools } from './endpointPools.js';
import type { UpstreamEndpoint } from './endpointPools.js';
import { isUpstreamStatusError } from './errors.js';
import {
  checkBody,
  checkedHeaders,
  checkMethodAndPath,
  checkEndpoints,
  dropHopByHop,
} from './outgoingRequest.js';
import { buildPolicies } from './upstreamPolicies.js';
import type { UpstreamPolicies } from './upstreamPolicies.js';
import { upstreamSettings } from './upstreamOptions.js';
import type { UpstreamOptions, UpstreamSettings } from './upstreamOptions.js';
import type { UpstreamResponse } from './upstreamResponse.js';

/** One call to an upstream. */
export interface UpstreamRequest {
  /**
   * Path and query, e.g. `/orders?user=ada`: it must start with `/` and is appended to the
   * chosen endpoint's origin as it is, so the request always goes to that endpoint (`//other/x`
   * is a path there, not another host). An absolute URL is refused with a ValidationError.
   */
  readonly path: string;
  /** Any method but CONNECT, TRACE and TRACK (fetch cannot send them: a ValidationError). @default 'GET' */
  readonly method?: string | undefined;
  /**
   * Headers of this call (over the upstream's `headers`). Hop-by-hop headers (`Connection` and
   * those it names, `Keep-Alive`, `Proxy-Authorization`, `Proxy-Authenticate`, `TE`, `Trailer`,
   * `Transfer-Encoding`, `Upgrade`) are dropped, as a proxy does.
   */
  readonly headers?: Readonly<Record<string, string>> | Headers | undefined;
  /** A raw body; none on GET or HEAD (an empty one is dropped, another is a ValidationError). */
  readonly body?: string | Uint8Array | undefined;
  /** A JSON body (sets `content-type: application/json` unless given). */
  readonly json?: unknown;
  /** Affinity key for hashing strategies (user id, cart id …). */
  readonly key?: string | undefined;
  /** Overrides whether the call may be retried and hedged. @default by method and `Idempotency-Key` */
  readonly idempotent?: boolean | undefined;
  /** Cancels the call, its retries and hedges. */
  readonly signal?: AbortSignal | undefined;
}

/** What an upstream reports while it works. */
export type UpstreamEvent =
  | { readonly kind: 'ejected'; readonly endpoint: string; readonly version: string; readonly until: number }
  | { readonly kind: 'restored'; readonly endpoint: string; readonly version: string }
  | { readonly kind: 'retry'; readonly attempt: number; readonly delayMs: number }
  | { readonly kind: 'discovered'; readonly endpoints: number }
  | { readonly kind: 'discovery-failed'; readonly error: unknown };

const IDEMPOTENT_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);
const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * A named service reached over HTTP: its endpoints (static, discovered or pushed) spread over
 * one load balancer per version, every call run through a resilience pipeline (call policies →
 * overall timeout → retry → hedge for reads → attempt policies → per-try timeout), and every
 * attempt sent to a leased endpoint whose status and latency feed outlier ejection.
 */
export class Upstream implements AsyncDisposable {
  /** The service name (spans, metrics, errors). */
  readonly name: string;
  readonly #settings: UpstreamSettings;
  readonly #pools: EndpointPools;
  readonly #policies: UpstreamPolicies;
  readonly #deps: AttemptDeps;
  readonly #discovery: Discovery | undefined;
  readonly #events;

  /** Prefer {@link createUpstream}. @throws ValidationError on bad options. */
  constructor(name: string, options?: UpstreamOptions) {
    const settings = upstreamSettings(name, options);
    this.name = name;
    this.#settings = settings;
    this.#events = createEmitter<{ event: UpstreamEvent }>({
      onListenerError: (error) =>
        settings.logger.error('An upstream listener threw', { upstream: name, error }),
    });
    this.#pools = new EndpointPools(
      () => this.#balancerOptions(),
      settings.versions,
      settings.random,
      (version, pool) => {
        pool.onEjected(({ id, until }) => this.#emit({ kind: 'ejected', endpoint: id, version, until }));
        pool.onRestored(({ id }) => this.#emit({ kind: 'restored', endpoint: id, version }));
      },
    );
    this.#policies = buildPolicies(name, settings, (event) => this.#events.emit('event', event));
    this.#deps = {
      fetch: settings.fetch ?? ((input, init) => globalThis.fetch(input, init)),
      clock: settings.clock,
      slowCallMs: settings.slowCallMs,
      isEndpointFailure: settings.isEndpointFailure,
      retryStatuses: new Set(settings.retryStatuses),
      acquire: (headers, key) => this.#pools.acquire(headers, key),
    };
    if (settings.endpoints !== undefined) this.#pools.reconcile(settings.endpoints);
    if (settings.discover !== undefined) {
      this.#discovery = new Discovery(name, settings, {
        apply: (endpoints) => this.setEndpoints(endpoints),
        failed: (error) => this.#events.emit('event', { kind: 'discovery-failed', error }),
      });
    }
  }

  /** Listens to ejections, restorations, retries and discovery. @returns a disposer. */
  onEvent(listener: Listener<UpstreamEvent>): Disposer {
    return this.#events.on('event', listener);
  }

  /**
   * Replaces the endpoints (push-style discovery: a watch on a registry calls this).
   * @throws ValidationError when an endpoint URL is not an absolute http(s) URL (nothing changes).
   */
  setEndpoints(endpoints: readonly UpstreamEndpoint[]): void {
    checkEndpoints(this.name, endpoints);
    this.#pools.reconcile(endpoints);
    this.#events.emit('event', { kind: 'discovered', endpoints: endpoints.length });
  }

  /** Runs discovery now. @throws UpstreamDiscoveryError when it fails (the last endpoints stay). */
  refresh(signal?: AbortSignal): Promise<void> {
    if (this.#discovery === undefined) return Promise.resolve();
    return this.#discovery.refresh(signal);
  }

  /** Every endpoint's counters, with the version it belongs to. */
  stats(): (EndpointStats & { readonly version: string })[] {
    const all: (EndpointStats & { readonly version: string })[] = [];
    for (const [version, pool] of this.#pools.balancers())
      for (const stats of pool.stats()) all.push({ ...stats, version });
    return all;
  }

  /**
   * Sends a request through the pipeline.
   *
   * @returns The first answer that is not a retry status, or the last answer when retries run
   *   out (a 503 after three attempts is returned, not thrown, as `fetch` would).
   *   A redirect (3xx) is returned as it is, not followed.
   * @throws {ValidationError} before anything is sent, when fetch could not send the request
   *   (a path that does not start with `/`, a TRACE, a body on GET); it is not retried and counts
   *   against no endpoint.
   * @throws {TimeoutError} when the last attempt or the whole call (the wait for the first
   *   discovery included) ran out of time.
   * @throws {NoEndpointAvailableError} when no endpoint is in rotation.
   * @throws The abort reason when `request.signal` aborts; a network error (`TypeError`) when
   *   the last attempt could not connect.
   */
  async request(request: UpstreamRequest): Promise<UpstreamResponse> {
    throwIfAborted(request.signal);
    const call = this.#prepare(request);
    const policy = this.#policyFor(call, request.idempotent);
    const discovery = this.#discovery;
    return withSpan(
      `upstream ${this.name}`,
      { attributes: { 'keel.upstream.name': this.name } },
      async () => {
        try {
          return await this.#policies.call.execute(async ({ signal }) => {
            await discovery?.ready(signal);
            return policy.execute(({ signal: attempt }) => sendAttempt(this.#deps, call, attempt), signal);
          }, request.signal);
        } catch (error) {
          if (!isUpstreamStatusError(error)) throw error;
          error.response.attempts = call.sent;
          return error.response;
        }
      },
    );
  }

  /** Stops discovery. Calls in flight finish. */
  async close(): Promise<void> {
    await this.#discovery?.close();
  }

  /** Same as {@link Upstream.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #emit(event: UpstreamEvent): void {
    this.#events.emit('event', event);
  }

  /** Checks and normalises a call before any endpoint is leased. @throws ValidationError */
  #prepare(request: UpstreamRequest): PreparedCall {
    const method = (request.method ?? 'GET').toUpperCase();
    checkMethodAndPath(this.name, method, request.path);
    const headers = checkedHeaders(this.name, this.#settings.headers);
    for (const [name, value] of checkedHeaders(this.name, request.headers)) headers.set(name, value);
    dropHopByHop(headers);
    let body = request.body;
    if (request.json !== undefined) {
      body = JSON.stringify(request.json);
      if (!headers.has('content-type')) headers.set('content-type', 'application/json');
    }
    body = checkBody(this.name, method, body);
    return { upstream: this.name, method, path: request.path, headers, body, key: request.key, sent: 0 };
  }

  #policyFor(call: PreparedCall, idempotent: boolean | undefined): ResiliencePolicy<any, never> {
    const safe =
      idempotent ??
      (IDEMPOTENT_METHODS.has(call.method) ||
        this.#settings.retryNonIdempotent ||
        call.headers.has('idempotency-key'));
    if (!safe) return this.#policies.unsafe;
    return READ_METHODS.has(call.method) ? this.#policies.read : this.#policies.idempotent;
  }

  #balancerOptions() {
    const settings = this.#settings;
    return {
      strategy: settings.strategy?.(),
      outlierDetection: settings.outlierDetection,
      clock: settings.clock,
      random: settings.random,
      name: this.name,
    };
  }
}

/**
 * Creates an {@link Upstream}: a balanced, resilient HTTP client for one named service.
 *
 * @throws ValidationError listing every bad option.
 * @example
 * ```ts
 * const orders = createUpstream('orders', {
 *   endpoints: [{ url: 'http://10.0.0.1:8080' }, { url: 'http://10.0.0.2:8080' }],
 *   timeoutMs: 500,
 * });
 * const res = await orders.request({ path: '/orders/42' });
 * ```
 */
export function createUpstream(name: string, options?: UpstreamOptions): Upstream {
  return new Upstream(name, options);
}
