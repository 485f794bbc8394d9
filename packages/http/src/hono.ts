import {
  assertOptions,
  optionClock,
  parseAsync,
  recordMetric,
  systemClock,
  telemetryEnabled,
  withSpan,
} from '@keel/core';
import type { Clock } from '@keel/core';
import type { Context, MiddlewareHandler } from 'hono';
import type { JWTPayload } from 'jose';
import { CORRELATION_ID_HEADER, runWithRequestContext } from './context/requestContext.js';
import { HTTP_SERVER_DURATION, markStatusFailed } from './internal/telemetry.js';
import { jwtAuthenticator } from './server/auth.js';
import type { JwtAuthOptions } from './server/auth.js';
import { correlationIdOf } from './server/correlation.js';
import { idempotencyCheck } from './server/idempotency.js';
import type { IdempotencyKeyOptions } from './server/idempotency.js';
import { HttpProblem, problemFor, problemResponse } from './server/problem.js';
import { rateLimitCheck, rateLimitedProblem } from './server/rateLimit.js';
import type { RateLimitOptions } from './server/rateLimit.js';
import { parseJsonBody } from './server/validation.js';
import type { RequestSchemas } from './server/validation.js';

/** A problem (or any error) as a Web `Response` with RFC 9457 problem details. */
export function problemAsResponse(error: unknown): Response {
  const { status, headers, body } = problemResponse(problemFor(error));
  return new Response(body, { status, headers });
}

/** Runs `handler`; a thrown problem becomes the answer instead of reaching Hono's onError. */
function guarded(handler: MiddlewareHandler): MiddlewareHandler {
  return async (c, next) => {
    try {
      return await handler(c, next);
    } catch (error) {
      return problemAsResponse(error);
    }
  };
}

/** The key every request shares when the client's address is unknown. */
const UNKNOWN_CLIENT = 'unknown';

/**
 * The client's socket address on `@hono/node-server`, which passes node's request as
 * `c.env.incoming`; {@link UNKNOWN_CLIENT} elsewhere. Never a header a client could forge.
 */
function remoteAddressOf(c: Context): string {
  const env = c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined;
  return env?.incoming?.socket?.remoteAddress ?? UNKNOWN_CLIENT;
}

/**
 * Hono middleware limiting requests per key with the IETF `RateLimit` headers; 429 problem
 * details with `Retry-After` once the quota is used up (see `rateLimitCheck`).
 *
 * Without `key`, requests are limited per socket remote address as `@hono/node-server` exposes
 * it (`c.env.incoming.socket.remoteAddress`), never per `X-Forwarded-For`, which any client can
 * forge. Where that address is not available (other runtimes, `app.request()` in tests) every
 * request shares one key, `'unknown'`: pass `key` there, e.g. from Hono's `getConnInfo(c)` for
 * your runtime, or from the address your trusted proxy appends.
 */
export function rateLimit(options: RateLimitOptions<Context>): MiddlewareHandler {
  const check = rateLimitCheck<Context>({ ...options, key: options.key ?? remoteAddressOf });
  return guarded(async (c, next) => {
    const verdict = await check(c);
    if (!verdict.allowed) throw rateLimitedProblem(verdict.headers);
    await next();
    for (const [name, value] of Object.entries(verdict.headers)) c.res.headers.set(name, value);
  });
}

/** Hono middleware handling `Idempotency-Key` (replay, 409, 422; see `idempotencyCheck`). */
export function idempotencyKey(options: IdempotencyKeyOptions): MiddlewareHandler {
  const check = idempotencyCheck(options);
  return guarded(async (c, next) => {
    const body = async () => new Uint8Array(await c.req.arrayBuffer());
    const path = new URL(c.req.url).pathname + new URL(c.req.url).search;
    const verdict = await check({ method: c.req.method, path, headers: c.req.raw.headers, body });
    if (verdict.kind === 'pass') return next();
    if (verdict.kind === 'problem') throw verdict.problem;
    if (verdict.kind === 'replay') {
      const { status, headers, body: base64 } = verdict.response;
      const replayed = { ...headers, 'idempotent-replayed': 'true' };
      return new Response(Buffer.from(base64, 'base64'), { status, headers: replayed });
    }
    await next();
    const answer = c.res.clone();
    const headers = Object.fromEntries(answer.headers);
    const bytes = Buffer.from(await answer.arrayBuffer()).toString('base64');
    await verdict.complete({ status: answer.status, headers, body: bytes });
  });
}

const PRINCIPALS = new WeakMap<Request, JWTPayload>();
const VALIDATED = new WeakMap<Request, { body?: unknown; query?: unknown }>();

/** The verified claims of the request, once {@link jwtAuth} ran. */
export function principalOf(c: Context): JWTPayload | undefined {
  return PRINCIPALS.get(c.req.raw);
}

/** The parsed body and query of the request, once {@link validate} ran. */
export function validatedOf<TBody = unknown, TQuery = unknown>(c: Context): { body: TBody; query: TQuery } {
  return (VALIDATED.get(c.req.raw) ?? {}) as { body: TBody; query: TQuery };
}

/** Hono middleware verifying the bearer JWT against a JWKS (401 problem details when it fails). */
export function jwtAuth(options: JwtAuthOptions): MiddlewareHandler {
  const authenticate = jwtAuthenticator(options);
  return guarded(async (c, next) => {
    PRINCIPALS.set(c.req.raw, await authenticate(c.req.header('authorization')));
    await next();
  });
}

/** Hono middleware for one route's authorization: `false` answers 403 problem details. */
export function authorize(
  allow: (claims: JWTPayload, c: Context) => boolean | Promise<boolean>,
): MiddlewareHandler {
  return guarded(async (c, next) => {
    const claims = PRINCIPALS.get(c.req.raw);
    if (claims === undefined)
      throw new HttpProblem({
        status: 401,
        title: 'Unauthorized',
        detail: 'This route needs an authenticated caller.',
      });
    if (!(await allow(claims, c)))
      throw new HttpProblem({
        status: 403,
        title: 'Forbidden',
        detail: 'Your token does not allow this operation.',
      });
    await next();
  });
}

/** Hono middleware validating body and query with Standard Schemas (400 problem details). */
export function validate(schemas: RequestSchemas): MiddlewareHandler {
  return guarded(async (c, next) => {
    const result: { body?: unknown; query?: unknown } = {};
    if (schemas.body !== undefined) {
      const text = await c.req.text();
      result.body = await parseAsync(schemas.body, parseJsonBody(text), { subject: 'request body' });
    }
    if (schemas.query !== undefined)
      result.query = await parseAsync(schemas.query, c.req.query(), { subject: 'query' });
    VALIDATED.set(c.req.raw, result);
    await next();
  });
}

/**
 * Hono middleware giving each request a correlation id and request context (which the upstream
 * client propagates), in a SERVER span continuing the caller's `traceparent`.
 */
export function correlation(options: { clock?: Clock | undefined } = {}): MiddlewareHandler {
  assertOptions('correlation', { clock: optionClock(options.clock, ['now']) });
  const clock = options.clock ?? systemClock;
  return async (c, next) => {
    const correlationId = correlationIdOf(c.req.header(CORRELATION_ID_HEADER));
    const traceContext: Record<string, string> = {};
    for (const name of ['traceparent', 'tracestate']) {
      const value = c.req.header(name);
      if (value !== undefined) traceContext[name] = value;
    }
    await runWithRequestContext({ correlationId, traceContext }, () =>
      telemetryEnabled() ? traced(c, next, traceContext, clock) : next(),
    );
    c.res.headers.set(CORRELATION_ID_HEADER, correlationId);
  };
}

async function traced(c: Context, next: () => Promise<void>, parent: Record<string, string>, clock: Clock) {
  const started = clock.now();
  const route = c.req.routePath;
  await withSpan(
    `${c.req.method} ${route}`,
    {
      kind: 'server',
      parent,
      attributes: { 'http.request.method': c.req.method, 'http.route': route, 'url.path': c.req.path },
    },
    async (span) => {
      await next();
      span.setAttributes({ 'http.response.status_code': c.res.status });
      if (c.res.status >= 500) markStatusFailed(span, c.res.status);
    },
  );
  recordMetric(HTTP_SERVER_DURATION, (clock.now() - started) / 1_000, {
    'http.request.method': c.req.method,
    'http.route': route,
    'http.response.status_code': c.res.status,
  });
}
