import { defineMetric, isKeelError } from '@keel/core';
import type { TelemetrySpan } from '@keel/core';

// The spans and metrics of @keel/http, in one place, after OpenTelemetry's HTTP semantic
// conventions. Spans: `upstream {name}` (INTERNAL, one per client call), `{METHOD}` (CLIENT, one
// per attempt), `{METHOD} {route}` (SERVER, one per request a server answers).

/** The conventions' advised buckets for HTTP durations, in seconds. */
const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

/** `http.server.request.duration`: one per request a server answered. */
export const HTTP_SERVER_DURATION = defineMetric({
  name: 'http.server.request.duration',
  kind: 'histogram',
  unit: 's',
  description: 'Duration of HTTP server requests.',
  buckets: HTTP_BUCKETS,
});

/** `http.client.request.duration`: one per attempt an upstream client sent. */
export const HTTP_CLIENT_DURATION = defineMetric({
  name: 'http.client.request.duration',
  kind: 'histogram',
  unit: 's',
  description: 'Duration of HTTP client requests.',
  buckets: HTTP_BUCKETS,
});

/**
 * Marks `span` failed for an HTTP `status`: by the error behind it when there is one, else by
 * the status code (the conventions' `error.type` for an answer without an exception).
 * @returns The `error.type` value.
 */
export function markStatusFailed(span: TelemetrySpan, status: number, cause?: unknown): string {
  if (cause !== undefined) {
    span.fail(cause);
    return isKeelError(cause) ? cause.code : String(status);
  }
  span.fail(new Error(`HTTP ${status}`));
  span.setAttributes({ 'error.type': String(status) });
  return String(status);
}

/** The `error.type` of a thrown value: a Keel code, the class name, or `_OTHER`. */
export function errorTypeOfThrown(error: unknown): string {
  if (isKeelError(error)) return error.code;
  return error instanceof Error ? error.name : '_OTHER';
}
