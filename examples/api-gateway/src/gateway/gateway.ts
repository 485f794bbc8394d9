import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { systemClock } from '@keel/core';
import type { Clock } from '@keel/core';
import { clientGoneSignal, closeServer, header, listen, sendJson } from '../http/httpKit.js';
import type { Router, Params } from '../http/router.js';
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
  context: RequestContext,
  options: GatewayOptions & { readonly limits: ClientRateLimits; readonly clock: Clock },
): Promise<RouteResult & { headers?: Record<string, string> }> {
  const url = new URL(req.url ?? '/', 'http://gateway');
  const method = req.method ?? 'GET';
  if (method === 'GET' && url.pathname === '/health') return { status: 200, body: { status: 'ok' } };
  // Authenticate before routing, so unauthenticated callers learn nothing about the routes.
  const claims = authenticate(header(req, 'authorization'), options.secret, options.clock.now());
  context.clientId = claims.sub;
  const decision = await options.limits.take(claims, context.signal);
  const match = options.routes.match(method, url.pathname);
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
 * (`httpErrors.ts`).
 */
export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const clock = options.clock ?? systemClock;
  const limits = createClientRateLimits(options.planLimits ?? DEFAULT_PLAN_LIMITS, options.clock);
  const settings = { ...options, clock, limits };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const context = createRequestContext(req, clientGoneSignal(res));
    try {
      const result = await dispatch(req, context, settings);
      sendJson(res, result.status, result.body, { ...result.headers, ...responseHeaders(context) });
    } catch (error) {
      const failure = toHttpError(error);
      sendJson(res, failure.status, failure.body, { ...failure.headers, ...responseHeaders(context) });
    }
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  const url = await listen(server);
  return { url, close: () => closeServer(server) };
}
