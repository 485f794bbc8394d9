import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  defineMetric,
  isKeelError,
  recordMetric,
  traceHeaders,
  TRACEPARENT,
  TRACESTATE,
  withSpan,
} from '@keel/core';
import type { Attributes, Clock, TelemetrySpan, TraceCarrier } from '@keel/core';

// The spans and metrics of every HTTP hop, in one place, following OpenTelemetry's HTTP
// semantic conventions. Only @keel/core's telemetry points are used: with nothing installed
// each call below costs one check, and nothing here imports OpenTelemetry.

/** The conventions' advised buckets for HTTP durations, in seconds. */
const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

/** `http.server.request.duration`: one per request a server answered (gateway and backends). */
export const HTTP_SERVER_DURATION = defineMetric({
  name: 'http.server.request.duration',
  kind: 'histogram',
  unit: 's',
  description: 'Duration of HTTP server requests.',
  buckets: HTTP_BUCKETS,
});

/** What {@link traceServerRequest} needs besides the request. */
export interface ServerSpanOptions {
  /** The matched route template (`/users/:id`), when one matched. */
  readonly route: string | undefined;
  readonly clock: Clock;
  /** Extra span attributes, e.g. which replica serves. */
  readonly attributes?: Attributes;
}

/** The W3C trace context a request arrived with (`traceparent`, `tracestate`), if any. */
export function incomingTraceContext(req: IncomingMessage): TraceCarrier {
  const carrier: Record<string, string> = {};
  for (const name of [TRACEPARENT, TRACESTATE]) {
    const value = req.headers[name];
    if (typeof value === 'string') carrier[name] = value;
  }
  return carrier;
}

/**
 * Runs `handle` in a SERVER span named `{method} {route}` that continues the caller's trace
 * (its `traceparent` header), then sets `http.response.status_code` from what was sent and
 * records `http.server.request.duration`. A 5xx answer marks the span failed; `handle` resolves
 * with the error behind it, if there is one, so the span names the cause.
 */
export async function traceServerRequest(
  req: IncomingMessage,
  res: ServerResponse,
  options: ServerSpanOptions,
  handle: (span: TelemetrySpan) => Promise<unknown>,
): Promise<void> {
  const method = req.method ?? 'GET';
  const { localAddress, localPort } = req.socket;
  const attributes: Attributes = {
    'http.request.method': method,
    'url.path': new URL(req.url ?? '/', 'http://server').pathname,
    'url.scheme': 'http',
    'http.route': options.route,
    'server.address': localAddress,
    'server.port': localPort,
    ...options.attributes,
  };
  const started = options.clock.now();
  let errorType: string | undefined;
  try {
    await withSpan(
      options.route === undefined ? method : `${method} ${options.route}`,
      { kind: 'server', attributes, parent: incomingTraceContext(req) },
      async (span) => {
        const cause = await handle(span);
        span.setAttributes({ 'http.response.status_code': res.statusCode });
        if (res.statusCode >= 500) errorType = markFailed(span, res.statusCode, cause);
      },
    );
  } catch (error) {
    errorType = error instanceof Error ? error.name : '_OTHER';
    throw error;
  } finally {
    recordMetric(HTTP_SERVER_DURATION, (options.clock.now() - started) / 1_000, {
      'http.request.method': method,
      'http.route': options.route,
      'http.response.status_code': res.headersSent ? res.statusCode : undefined,
      'url.scheme': 'http',
      'error.type': errorType,
    });
  }
}

/**
 * The `traceresponse` header (W3C Trace Context Level 2) naming the active span, so a client can
 * quote its trace in a bug report; empty when telemetry is off.
 */
export function traceResponseHeader(): Record<string, string> {
  const traceparent = traceHeaders()[TRACEPARENT];
  return traceparent === undefined ? {} : { traceresponse: traceparent };
}

/** Marks `span` failed for an HTTP `status`: by the error behind it, else by the status code. */
function markFailed(span: TelemetrySpan, status: number, cause: unknown): string {
  if (cause !== undefined) {
    span.fail(cause);
    return isKeelError(cause) ? cause.code : String(status);
  }
  span.fail(new Error(`HTTP ${status}`));
  // The conventions' error.type for an answer without an exception is the status code.
  span.setAttributes({ 'error.type': String(status) });
  return String(status);
}
