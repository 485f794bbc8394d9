import { AsyncLocalStorage } from 'node:async_hooks';
import { processWide } from '@keel/core';
import type { TraceCarrier } from '@keel/core';

/**
 * What the server middleware knows about the request being handled, available to any code it
 * calls (the upstream client reads it to propagate the correlation id and trace context).
 */
export interface RequestContext {
  /** The request's correlation id: the caller's `x-correlation-id`, or a new one. */
  readonly correlationId: string;
  /** The W3C trace context the request arrived with (`traceparent`, `tracestate`), if any. */
  readonly traceContext: TraceCarrier;
  /** The authenticated principal's claims, once authentication ran. */
  principal?: Readonly<Record<string, unknown>> | undefined;
}

/**
 * One per process, shared by every loaded copy of the package: the server middleware of one
 * copy and an upstream client of another still see the same request.
 */
const storage = processWide('@keel/http/request-context@1', () => new AsyncLocalStorage<RequestContext>());

/** The header carrying the correlation id between services. */
export const CORRELATION_ID_HEADER = 'x-correlation-id';

/**
 * The context of the request being handled, or `undefined` outside a request (or when the
 * correlation middleware is not installed).
 */
export function currentRequestContext(): RequestContext | undefined {
  return storage.getStore();
}

/**
 * Runs `fn` with `context` as the current request context (what the correlation middleware does
 * for each request); code outside a server uses it to give a batch job or a test a context.
 */
export function runWithRequestContext<TResult>(context: RequestContext, fn: () => TResult): TResult {
  return storage.run(context, fn);
}
