import type { IncomingMessage } from 'node:http';
import { newId } from '@keel/core';
import { header } from '../http/httpKit.js';

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
  /** The authenticated client (set after authentication). */
  clientId: string | undefined;
  /** Aborts when the client disconnects; passed to every upstream call. */
  readonly signal: AbortSignal;
  /** Upstream attempts made for this request, in order. */
  readonly attempts: UpstreamAttempt[];
}

const SAFE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

function incomingId(req: IncomingMessage, name: string): string | undefined {
  const value = header(req, name);
  // Ids are echoed into logs and headers: accept only short, plain ones.
  return value !== undefined && SAFE_ID.test(value) ? value : undefined;
}

/** Builds the context of an incoming request. */
export function createRequestContext(req: IncomingMessage, signal: AbortSignal): RequestContext {
  const requestId = incomingId(req, 'x-request-id') ?? newId();
  return {
    requestId,
    correlationId: incomingId(req, 'x-correlation-id') ?? requestId,
    clientId: undefined,
    signal,
    attempts: [],
  };
}

/** The headers every upstream call carries, so backend logs can be joined to the gateway's. */
export function propagationHeaders(context: RequestContext): Record<string, string> {
  return {
    'x-request-id': context.requestId,
    'x-correlation-id': context.correlationId,
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
