import type { IncomingMessage } from 'node:http';
import {
  assertOptions,
  newId,
  optionClock,
  optionFunction,
  recordMetric,
  systemClock,
  telemetryEnabled,
  traceHeaders,
  TRACEPARENT,
  TRACESTATE,
  withSpan,
} from '@keel/core';
import type { Attributes, Clock, TraceCarrier } from '@keel/core';
import { CORRELATION_ID_HEADER, runWithRequestContext } from '../context/requestContext.js';
import { errorTypeOfThrown, HTTP_SERVER_DURATION, markStatusFailed } from '../internal/telemetry.js';
import type { HttpMiddleware } from './middleware.js';

/** Options of {@link correlation}. */
export interface CorrelationOptions {
  /** The route template of a request (`/users/:id`), for the span name; keep it low cardinality. @default none */
  route?: ((req: IncomingMessage) => string | undefined) | undefined;
  /** Source of time for the duration metric. @default systemClock */
  clock?: Clock | undefined;
}

/** The W3C trace context a request arrived with. */
export function incomingTraceContext(headers: IncomingMessage['headers']): TraceCarrier {
  const carrier: Record<string, string> = {};
  for (const name of [TRACEPARENT, TRACESTATE]) {
    const value = headers[name];
    if (typeof value === 'string') carrier[name] = value;
  }
  return carrier;
}

/** A usable incoming correlation id (printable, at most 128 chars), else a new one. */
export function correlationIdOf(value: string | string[] | undefined): string {
  return typeof value === 'string' && /^[\x21-\x7e]{1,128}$/.test(value) ? value : newId();
}

function serverAttributes(req: IncomingMessage, route: string | undefined): Attributes {
  return {
    'http.request.method': req.method ?? 'GET',
    'url.path': new URL(req.url ?? '/', 'http://server').pathname,
    'url.scheme': 'http',
    'http.route': route,
    'server.address': req.socket.localAddress,
    'server.port': req.socket.localPort,
  };
}

/**
 * `node:http` middleware that gives each request a correlation id (the caller's
 * `x-correlation-id`, or a new one, echoed on the answer) and a request context the upstream
 * client propagates; runs the rest of the chain in a SERVER span `{method} {route}` that
 * continues the caller's `traceparent`, returns `traceresponse`, sets
 * `http.response.status_code` (a 5xx marks it failed) and records `http.server.request.duration`.
 *
 * @throws {ValidationError} when `route` is not a function or `clock` has no `now`.
 */
export function correlation(options: CorrelationOptions = {}): HttpMiddleware {
  assertOptions('correlation', {
    route: optionFunction(options.route),
    clock: optionClock(options.clock, ['now']),
  });
  const clock = options.clock ?? systemClock;
  return (req, res, next) => {
    const correlationId = correlationIdOf(req.headers[CORRELATION_ID_HEADER]);
    const traceContext = incomingTraceContext(req.headers);
    res.setHeader(CORRELATION_ID_HEADER, correlationId);
    return runWithRequestContext({ correlationId, traceContext }, async () => {
      if (!telemetryEnabled()) return next();
      const route = options.route?.(req);
      const method = req.method ?? 'GET';
      const started = clock.now();
      let errorType: string | undefined;
      try {
        await withSpan(
          route === undefined ? method : `${method} ${route}`,
          { kind: 'server', attributes: serverAttributes(req, route), parent: traceContext },
          async (span) => {
            const traceparent = traceHeaders()[TRACEPARENT];
            if (traceparent !== undefined && !res.headersSent) res.setHeader('traceresponse', traceparent);
            await next();
            span.setAttributes({ 'http.response.status_code': res.statusCode });
            if (res.statusCode >= 500) errorType = markStatusFailed(span, res.statusCode);
          },
        );
      } catch (error) {
        errorType = errorTypeOfThrown(error);
        throw error;
      } finally {
        recordMetric(HTTP_SERVER_DURATION, (clock.now() - started) / 1_000, {
          'http.request.method': method,
          'http.route': route,
          'http.response.status_code': res.statusCode,
          'url.scheme': 'http',
          'error.type': errorType,
        });
      }
    });
  };
}
