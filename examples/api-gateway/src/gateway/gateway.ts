import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { systemClock } from '@keel/core';
import type { Clock } from '@keel/core';
import { InMemoryIdempotencyStore } from '@keel/cqrs';
import type { IdempotencyStore } from '@keel/cqrs';
import { compose, correlation, currentRequestContext, healthEndpoints, idempotencyKey } from '@keel/http';
import { closeServer, listen, sendJson } from '../http/httpKit.js';
import type { Router, Params } from '../http/router.js';
import type { TokenClaims } from './auth.js';
import { clientRateLimits, DEFAULT_PLAN_LIMITS } from './clientRateLimits.js';
import type { PlanLimits } from './clientRateLimits.js';
import { RouteNotFoundError } from './errors.js';
import { answerErrors, bearerAuth } from './middleware.js';
import { requestContextOf, requestIds, responseHeaders } from './requestContext.js';
import type { RequestContext } from './requestContext.js';

/** What a BFF route handler receives. */
export interface RouteInput {
  readonly context: RequestContext;
  readonly claims: TokenClaims;
  readonly params: Params;
  readonly query: URLSearchParams;
  /** The raw request, to read a body with `readValidBody`. */
  readonly req: IncomingMessage;
}

/** What a BFF route handler answers. */
export interface RouteResult {
  readonly status: number;
  readonly body: unknown;
}

/** A BFF route handler. Throw a Keel error to answer with the matching HTTP error. */
export type RouteHandler = (input: RouteInput) => Promise<RouteResult>;

/** Options of {@link startGateway}. */
export interface GatewayOptions {
  /** The routes of every BFF. */
  readonly routes: Router<RouteHandler>;
  /** HMAC key that signs bearer tokens. */
  readonly secret: string;
  /** Token bucket per plan. @default DEFAULT_PLAN_LIMITS */
  readonly planLimits?: PlanLimits;
  /** Time for token expiry and rate limits. @default systemClock */
  readonly clock?: Clock;
  /** Where `Idempotency-Key` answers are kept (`@keel/postgres` has a durable one). @default in memory */
  readonly idempotencyStore?: IdempotencyStore;
}

/** A running gateway. */
export interface Gateway {
  /** Base URL, e.g. `http://127.0.0.1:53127`. */
  readonly url: string;
  /** Stops accepting requests and closes every connection. */
  close(): Promise<void>;
}

/** The liveness path, answered without a token. */
const HEALTH_PATH = '/health';

/** The last step of the chain: finds the BFF route and answers with its result. */
function dispatch(routes: Router<RouteHandler>) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', 'http://gateway');
    const match = routes.match(method, url.pathname);
    if (match.kind === 'not-found') throw new RouteNotFoundError(method, url.pathname);
    if (match.kind === 'method-not-allowed')
      throw new RouteNotFoundError(method, url.pathname, match.allowed);
    const context = requestContextOf(req);
    const claims = context.claims!;
    const result = await match.handler({
      context,
      claims,
      params: match.params,
      query: url.searchParams,
      req,
    });
    sendJson(res, result.status, result.body, responseHeaders(context));
  };
}

/** The route template of a request, to name its server span (`GET /users/:id`). */
function routeOf(routes: Router<RouteHandler>) {
  return (req: IncomingMessage): string | undefined => {
    const path = new URL(req.url ?? '/', 'http://gateway').pathname;
    const match = routes.match(req.method ?? 'GET', path);
    return match.kind === 'found' ? match.route : path === HEALTH_PATH ? HEALTH_PATH : undefined;
  };
}

/**
 * Starts the gateway on a loopback port. Every request goes through one chain of `@keel/http`
 * middleware, each step in its own file: the request and correlation ids (`requestContext.ts`),
 * `correlation()` (a SERVER span continuing the caller's `traceparent`, `traceresponse`, the
 * request context the upstream client propagates), the error mapping (`httpErrors.ts`), the
 * health probe (`healthEndpoints`), bearer-token auth (`auth.ts`), the client's rate limit
 * (`clientRateLimits.ts`), `Idempotency-Key` replay (`idempotencyKey`), then routing to a BFF handler (`../bff/*`), which validates bodies
 * (`validation.ts`) and calls upstreams (`upstream.ts`).
 */
export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const clock = options.clock ?? systemClock;
  const ready = () => ({
    status: 'pass' as const,
    healthy: true,
    ready: true,
    time: new Date(clock.now()).toISOString(),
    workers: {},
  });
  const chain = [
    requestIds(),
    correlation({ route: routeOf(options.routes), clock }),
    answerErrors(),
    healthEndpoints({ report: ready, livePath: HEALTH_PATH }),
    // Authenticate before routing, so unauthenticated callers learn nothing about the routes.
    bearerAuth(options.secret, clock),
    clientRateLimits(options.planLimits ?? DEFAULT_PLAN_LIMITS, { clock }),
    // A client sending a POST again with the same key gets the first answer, replayed by the
    // gateway; keys are per client, so two clients never share one.
    idempotencyKey({
      store: options.idempotencyStore ?? new InMemoryIdempotencyStore({ clock }),
      scope: () => String(currentRequestContext()?.principal?.sub ?? ''),
    }),
  ];
  const listener = compose(chain, dispatch(options.routes));
  const server: Server = createServer((req, res) => void listener(req, res));
  const url = await listen(server);
  return { url, close: () => closeServer(server) };
}
