import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { systemClock } from '@keel/core';
import type { Clock } from '@keel/core';
import { clientGoneSignal, closeServer, header, listen, sendJson } from '../http/httpKit.js';
import { traceResponseHeader, traceServerRequest } from '../http/httpTelemetry.js';
import type { Router, Params, RouteMatch } from '../http/router.js';
import { authenticate } from './auth.js';
import type { TokenClaims } from './auth.js';
import { createClientRateLimits, DEFAULT_PLAN_LIMITS } from './clientRateLimits.js';
import type { ClientRateLimits, PlanLimits } from './clientRateLimits.js';
import { RouteNotFoundError } from './errors.js';
import { toHttpError } from './httpErrors.js';
import { createRequestContext, responseHeaders } from './requestContext.js';
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
}

/** A running gateway. */
export interface Gateway {
  /** Base URL, e.g. `http://127.0.0.1:53127`. */
  readonly url: string;
  /** Stops accepting requests and closes every connection. */
  close(): Promise<void>;
}

async function dispatch(
  req: IncomingMessage,
  url: URL,
  match: RouteMatch<RouteHandler>,
  context: RequestContext,
  options: GatewayOptions & { readonly limits: ClientRateLimits; readonly clock: Clock },
): Promise<RouteResult & { headers?: Record<string, string> }> {
  const method = req.method ?? 'GET';
  if (method === 'GET' && url.pathname === '/health') return { status: 200, body: { status: 'ok' } };
  // Authenticate before routing, so unauthenticated callers learn nothing about the routes.
  const claims = authenticate(header(req, 'authorization'), options.secret, options.clock.now());
  context.clientId = claims.sub;
  const decision = await options.limits.take(claims, context.signal);
  if (match.kind === 'not-found') throw new RouteNotFoundError(method, url.pathname);
  if (match.kind === 'method-not-allowed') throw new RouteNotFoundError(method, url.pathname, match.allowed);
  const result = await match.handler({ context, claims, params: match.params, query: url.searchParams, req });
  return { ...result, headers: { 'ratelimit-remaining': String(decision.remaining) } };
}

/**
 * Starts the gateway on a loopback port. Every request goes through the same steps, each in its
 * own file: correlation ids (`requestContext.ts`), bearer-token auth (`auth.ts`), the client's
 * rate limit (`clientRateLimits.ts`), routing to a BFF handler (`../bff/*`), which validates
 * bodies (`validation.ts`) and calls upstreams (`upstream.ts`), and errors mapped to HTTP
 * (`httpErrors.ts`). Each request runs in an HTTP server span (`../http/httpTelemetry.ts`) that
 * continues the caller's `traceparent`; the answer's `traceresponse` header names it.
 */
export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const clock = options.clock ?? systemClock;
  const limits = createClientRateLimits(options.planLimits ?? DEFAULT_PLAN_LIMITS, options.clock);
  const settings = { ...options, clock, limits };

  /** Answers one request; resolves with the error behind a 5xx answer, for the server span. */
  async function handle(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    match: RouteMatch<RouteHandler>,
  ): Promise<unknown> {
    const context = createRequestContext(req, clientGoneSignal(res));
    try {
      const result = await dispatch(req, url, match, context, settings);
      const headers = { ...result.headers, ...responseHeaders(context), ...traceResponseHeader() };
      sendJson(res, result.status, result.body, headers);
      return undefined;
    } catch (error) {
      const failure = toHttpError(error);
      const headers = { ...failure.headers, ...responseHeaders(context), ...traceResponseHeader() };
      sendJson(res, failure.status, failure.body, headers);
      return failure.status >= 500 ? error : undefined;
    }
  }

  const server: Server = createServer((req, res) => {
    // Matched before the span starts, to name it by its route; dispatch still authenticates first.
    const url = new URL(req.url ?? '/', 'http://gateway');
    const match = options.routes.match(req.method ?? 'GET', url.pathname);
    const route = match.kind === 'found' ? match.route : url.pathname === '/health' ? '/health' : undefined;
    traceServerRequest(req, res, { route, clock }, () => handle(req, res, url, match)).catch(() =>
      res.destroy(),
    );
  });
  const url = await listen(server);
  return { url, close: () => closeServer(server) };
}
