import { isTimeoutError, recordMetric, telemetryEnabled, traceHeaders, withSpan } from '@keel/core';
import type { Attributes, Clock, TelemetrySpan } from '@keel/core';
import type { Lease } from '@keel/scaling';
import { CORRELATION_ID_HEADER, currentRequestContext } from '../context/requestContext.js';
import { errorTypeOfThrown, HTTP_CLIENT_DURATION, markStatusFailed } from '../internal/telemetry.js';
import type { PooledEndpoint } from './endpointPools.js';
import { isUpstreamStatusError, UpstreamStatusError } from './errors.js';
import { endpointUrl, isNetworkFailure } from './outgoingRequest.js';
import { bodyWasDecoded, UpstreamResponse } from './upstreamResponse.js';

/** One call's fixed parts, shared by its attempts. */
export interface PreparedCall {
  readonly upstream: string;
  readonly method: string;
  /** Origin-relative path and query (checked to start with `/`). */
  readonly path: string;
  readonly headers: Headers;
  readonly body: Uint8Array | string | undefined;
  readonly key: string | undefined;
  /** Attempts sent so far (read and bumped by each attempt). */
  sent: number;
}

/** What an attempt needs of its upstream. */
export interface AttemptDeps {
  readonly fetch: typeof fetch;
  readonly clock: Clock;
  readonly slowCallMs: number;
  readonly isEndpointFailure: (status: number) => boolean;
  /** Statuses that fail the attempt (thrown as {@link UpstreamStatusError}). */
  readonly retryStatuses: ReadonlySet<number>;
  acquire(headers: Headers, key: string | undefined): Lease<PooledEndpoint>;
}

/** The headers of one attempt: the call's, plus correlation id and W3C trace context. */
function attemptHeaders(call: PreparedCall): Headers {
  const headers = new Headers(call.headers);
  const context = currentRequestContext();
  if (context !== undefined && !headers.has(CORRELATION_ID_HEADER))
    headers.set(CORRELATION_ID_HEADER, context.correlationId);
  // Inside the attempt's span this names it as the server's parent; with telemetry off, the
  // context the request being served arrived with travels on unchanged.
  for (const [name, value] of Object.entries(traceHeaders(context?.traceContext))) headers.set(name, value);
  return headers;
}

function clientAttributes(
  call: PreparedCall,
  url: URL,
  endpoint: PooledEndpoint,
  resend: number,
): Attributes {
  return {
    'http.request.method': call.method,
    'url.full': url.href,
    'server.address': url.hostname,
    'server.port': url.port === '' ? undefined : Number(url.port),
    'http.request.resend_count': resend > 0 ? resend : undefined,
    'keel.upstream.name': call.upstream,
    'keel.upstream.version': endpoint.version,
  };
}

/**
 * Sends one attempt of `call` to an endpoint leased from the balancer, in a CLIENT span, and
 * reads the body within the attempt; an answer with a retry status is thrown as an
 * {@link UpstreamStatusError}. Redirects are not followed: a 3xx is the answer. Feeds the lease:
 * a failure status or a slow answer counts against the endpoint, a timeout or a network failure
 * too; an attempt aborted for another reason (a hedge that lost, the caller leaving) or a
 * request fetch refused counts as neither.
 */
export async function sendAttempt(
  deps: AttemptDeps,
  call: PreparedCall,
  signal: AbortSignal,
): Promise<UpstreamResponse> {
  const resend = call.sent++;
  const lease = deps.acquire(call.headers, call.key);
  const endpoint = lease.endpoint.value;
  let url: URL;
  try {
    url = endpointUrl(endpoint.origin, call.path);
  } catch (error) {
    lease.release();
    throw error;
  }
  const started = deps.clock.now();
  let status: number | undefined;
  let errorType: string | undefined;
  try {
    const attributes = telemetryEnabled() ? clientAttributes(call, url, endpoint, resend) : undefined;
    const response = await withSpan(call.method, { kind: 'client', attributes }, async (span) => {
      const answer = await exchange(deps, call, url, signal, span);
      status = answer.status;
      if (status >= 400) errorType = markStatusFailed(span, status);
      return answer;
    });
    const slow = deps.clock.now() - started >= deps.slowCallMs;
    if (slow || deps.isEndpointFailure(response.status)) lease.failure();
    else lease.success();
    const answer = new UpstreamResponse(
      response,
      { id: lease.endpoint.id, version: endpoint.version },
      call.sent,
    );
    // Thrown, so retry, hedge and any circuit breaker around the attempt see it as failed.
    if (deps.retryStatuses.has(answer.status)) throw new UpstreamStatusError(call.upstream, answer);
    return answer;
  } catch (error) {
    if (isUpstreamStatusError(error)) throw error;
    errorType ??= errorTypeOfThrown(error);
    if (signal.aborted && !isTimeoutError(signal.reason)) lease.release();
    else if (isTimeoutError(error) || isNetworkFailure(error)) lease.failure(error);
    else lease.release();
    throw error;
  } finally {
    if (telemetryEnabled())
      recordMetric(HTTP_CLIENT_DURATION, (deps.clock.now() - started) / 1_000, {
        'http.request.method': call.method,
        'server.address': url.hostname,
        'http.response.status_code': status,
        'error.type': errorType,
      });
  }
}

async function exchange(
  deps: AttemptDeps,
  call: PreparedCall,
  url: URL,
  signal: AbortSignal,
  span: TelemetrySpan,
) {
  // Redirects pass through to the caller (as a proxy does): following them would send the call
  // to another host, turn a POST into a GET and credit the wrong endpoint.
  const init: RequestInit = {
    method: call.method,
    headers: attemptHeaders(call),
    signal,
    redirect: 'manual',
  };
  if (call.body !== undefined) init.body = call.body;
  const response = await deps.fetch(url, init);
  span.setAttributes({ 'http.response.status_code': response.status });
  const body = new Uint8Array(await response.arrayBuffer());
  return {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
    body,
    decoded: bodyWasDecoded(call.method, response.status, response.headers),
  };
}
