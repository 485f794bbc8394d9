import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { systemClock } from '@keel/core';
import type { Clock } from '@keel/core';
import { clientGoneSignal, closeServer, header, listen, sendJson } from '../http/httpKit.js';
import { compose, correlation, readRawBody } from '@keel/http';
import type { Router } from '../http/router.js';
import type { Params, RouteMatch } from '../http/router.js';

/** How a replica behaves right now; change it at run time with {@link Replica.set}. */
export interface ReplicaBehaviour {
  /** Extra time before every answer, in ms. */
  readonly latencyMs: number;
  /**
   * Share of requests answered with 503, from 0 (healthy) to 1 (down). Failures are spread
   * evenly and deterministically: 0.5 fails every second request.
   */
  readonly failureRate: number;
}

/** A request as a backend handler sees it. */
export interface BackendRequest {
  readonly method: string;
  readonly params: Params;
  readonly query: URLSearchParams;
  readonly headers: IncomingMessage['headers'];
  readonly body: unknown;
}

/** What a backend handler answers. */
export interface BackendResponse {
  readonly status: number;
  readonly body: unknown;
}

/** Handles one backend route. */
export type BackendHandler = (request: BackendRequest) => BackendResponse | Promise<BackendResponse>;

/** One request a replica received, with the correlation headers the gateway sent. */
export interface ReceivedRequest {
  readonly method: string;
  readonly path: string;
  readonly requestId: string | undefined;
  readonly correlationId: string | undefined;
  readonly clientId: string | undefined;
  readonly outcome: 'ok' | 'failed';
}

/** Options of {@link startReplica}. */
export interface ReplicaOptions {
  /** The service this replica belongs to, e.g. `orders`. */
  readonly service: string;
  /** Unique replica id, e.g. `orders-2`. */
  readonly id: string;
  /** The service's routes (shared by all its replicas). */
  readonly routes: Router<BackendHandler>;
  /** Initial behaviour. @default { latencyMs: 0, failureRate: 0 } */
  readonly behaviour?: Partial<ReplicaBehaviour>;
  /** Where latency sleeps come from. @default systemClock */
  readonly clock?: Clock;
}

/** A running backend replica on a loopback port, with knobs to slow it down or make it fail. */
export interface Replica {
  readonly service: string;
  readonly id: string;
  /** Base URL, e.g. `http://127.0.0.1:53122`. */
  readonly url: string;
  /** Every request received so far, oldest first. */
  readonly received: readonly ReceivedRequest[];
  /** The current behaviour. */
  readonly behaviour: ReplicaBehaviour;
  /** Changes the behaviour, e.g. `set({ failureRate: 1 })` takes it down. */
  set(behaviour: Partial<ReplicaBehaviour>): void;
  /** Stops the server. */
  close(): Promise<void>;
}

class FailurePattern {
  #count = 0;

  /** Fails `rate` of the calls, evenly spread: call n fails when ⌊(n+1)·rate⌋ > ⌊n·rate⌋. */
  next(rate: number): boolean {
    const n = this.#count++;
    return Math.floor((n + 1) * rate) > Math.floor(n * rate);
  }
}

async function parseJson(req: IncomingMessage): Promise<unknown> {
  const text = (await readRawBody(req)).toString('utf8');
  return text === '' ? undefined : (JSON.parse(text) as unknown);
}

/**
 * Starts one replica of a backend service on `127.0.0.1` and an ephemeral port.
 *
 * @example
 * ```ts
 * const replica = await startReplica({ service: 'users', id: 'users-1', routes });
 * replica.set({ latencyMs: 150 }); // now it is the slow one
 * ```
 */
export async function startReplica(options: ReplicaOptions): Promise<Replica> {
  const clock = options.clock ?? systemClock;
  let behaviour: ReplicaBehaviour = { latencyMs: 0, failureRate: 0, ...options.behaviour };
  const received: ReceivedRequest[] = [];
  const failures = new FailurePattern();

  async function handle(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    match: RouteMatch<BackendHandler>,
  ): Promise<void> {
    const signal = clientGoneSignal(res);
    const failed = failures.next(behaviour.failureRate);
    received.push({
      method: req.method ?? 'GET',
      path: url.pathname,
      requestId: header(req, 'x-request-id'),
      correlationId: header(req, 'x-correlation-id'),
      clientId: header(req, 'x-client-id'),
      outcome: failed ? 'failed' : 'ok',
    });
    if (behaviour.latencyMs > 0) await clock.sleep(behaviour.latencyMs, signal);
    const served = { 'x-served-by': options.id };
    if (failed) return sendJson(res, 503, { error: `${options.id} is unavailable` }, served);
    if (match.kind !== 'found') return sendJson(res, 404, { error: `no route ${url.pathname}` }, served);
    const answer = await match.handler({
      method: req.method ?? 'GET',
      params: match.params,
      query: url.searchParams,
      headers: req.headers,
      body: await parseJson(req),
    });
    sendJson(res, answer.status, answer.body, served);
  }

  const routeOf = (req: IncomingMessage): string | undefined => {
    const match = options.routes.match(
      req.method ?? 'GET',
      new URL(req.url ?? '/', 'http://backend').pathname,
    );
    return match.kind === 'found' ? match.route : undefined;
  };
  // `@keel/http`'s correlation(): every request runs in an HTTP server span that continues the
  // gateway's `traceparent`. A handler that throws gets a 500 (or a dropped connection once the
  // answer has started, e.g. when the gateway went away mid-request).
  const listener = compose([correlation({ route: routeOf, clock })], (req, res) => {
    const url = new URL(req.url ?? '/', 'http://backend');
    return handle(req, res, url, options.routes.match(req.method ?? 'GET', url.pathname));
  });
  const server: Server = createServer((req, res) => void listener(req, res));
  const url = await listen(server);
  return {
    service: options.service,
    id: options.id,
    url,
    received,
    get behaviour() {
      return behaviour;
    },
    set(next) {
      behaviour = { ...behaviour, ...next };
    },
    close: () => closeServer(server),
  };
}
