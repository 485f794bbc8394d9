import type { IncomingMessage } from 'node:http';
import { newId } from '@keel/core';
import { CORRELATION_ID_HEADER } from '@keel/http';
import type { HttpMiddleware } from '@keel/http';
import { clientGoneSignal, header } from '../http/httpKit.js';
import type { TokenClaims } from './auth.js';

/** One upstream attempt, as recorded for the `x-upstream-trace` response header. */
export interface UpstreamAttempt {
  readonly upstream: string;
  /** The replica that answered, or `-` when none was called (open breaker, no endpoint). */
  readonly replica: string;
  /** HTTP status, or what went wrong (`timeout`, `breaker-open`, `error`). */
  readonly outcome: string;
}

/** Everything a request carries through the gateway and into the BFF handlers. */
export interface RequestContext {
  /** This hop's id: from a valid incoming `x-request-id`, or a new UUID v7. */
  readonly requestId: string;
  /** The id shared by every hop of one user action: incoming `x-correlation-id`, or the request id. */
  readonly correlationId: string;
  /** The authenticated client (set by authentication). */
  clientId: string | undefined;
  /** The verified token's claims (set by authentication). */
  claims: TokenClaims | undefined;
  /** Aborts when the client disconnects; passed to every upstream call. */
  readonly signal: AbortSignal;
  /** Upstream attempts made for this request, in order. */
  readonly attempts: UpstreamAttempt[];
}

const SAFE_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const contexts = new WeakMap<IncomingMessage, RequestContext>();

function incomingId(req: IncomingMessage, name: string): string | undefined {
  const value = header(req, name);
  // Ids are echoed into logs and headers: accept only short, plain ones.
  return value !== undefined && SAFE_ID.test(value) ? value : undefined;
}

/** The context {@link requestIds} gave `req`. @throws Error when the middleware did not run. */
export function requestContextOf(req: IncomingMessage): RequestContext {
  const context = contexts.get(req);
  if (context === undefined) throw new Error('No request context: put requestIds() first in the chain.');
  return context;
}

/**
 * Middleware giving each request its ids and context: a valid incoming `x-request-id` or a new
 * UUID v7, and `x-correlation-id` defaulting to the request id. It writes the chosen correlation
 * id back on the request, so `@keel/http`'s `correlation()` (next in the chain) adopts it and the
 * upstream client sends it to every backend.
 */
export function requestIds(): HttpMiddleware {
  return async (req, res, next) => {
    const requestId = incomingId(req, 'x-request-id') ?? newId();
    const correlationId = incomingId(req, CORRELATION_ID_HEADER) ?? requestId;
    req.headers[CORRELATION_ID_HEADER] = correlationId;
    const signal = clientGoneSignal(res);
    contexts.set(req, {
      requestId,
      correlationId,
      clientId: undefined,
      claims: undefined,
      signal,
      attempts: [],
    });
    await next();
  };
}

/** The headers every upstream call carries besides the correlation id `@keel/http` adds. */
export function propagationHeaders(context: RequestContext): Record<string, string> {
  return {
    'x-request-id': context.requestId,
    ...(context.clientId === undefined ? {} : { 'x-client-id': context.clientId }),
  };
}

/** The headers the gateway adds to every response. */
export function responseHeaders(context: RequestContext): Record<string, string> {
  const trace = context.attempts.map((a) => `${a.upstream}/${a.replica}=${a.outcome}`).join(', ');
  return {
    'x-request-id': context.requestId,
    'x-correlation-id': context.correlationId,
    ...(trace === '' ? {} : { 'x-upstream-trace': trace }),
  };
}
