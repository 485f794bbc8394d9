import { formatPath, isKeelError, isNotFoundError, isTimeoutError, isValidationError } from '@keel/core';
import { isHttpProblem } from '@keel/http';
import { isBrokenCircuitError, isRateLimitedError } from '@keel/resilience';
import { isNoEndpointAvailableError } from '@keel/scaling';
import { isRouteNotFoundError, isUnauthorizedError, isUnexpectedAnswerError } from './errors.js';

/** An error turned into an HTTP answer. */
export interface HttpError {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: {
    readonly error: {
      readonly code: string;
      readonly message: string;
      readonly issues?: readonly { readonly path: string; readonly message: string }[];
    };
  };
}

function answer(
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
): HttpError {
  return { status, headers, body: { error: { code, message } } };
}

/** `Retry-After` takes whole seconds; round up so the client never comes back too early. */
function retryAfterSeconds(ms: number | undefined): Record<string, string> {
  return ms === undefined ? {} : { 'retry-after': String(Math.max(1, Math.ceil(ms / 1_000))) };
}

function clientError(error: unknown): HttpError | undefined {
  if (isValidationError(error)) {
    const issues = error.issues.map((issue) => ({ path: formatPath(issue.path), message: issue.message }));
    return {
      status: 400,
      headers: {},
      body: { error: { code: error.code, message: error.message, issues } },
    };
  }
  if (isUnauthorizedError(error)) {
    return answer(401, error.code, error.message, { 'www-authenticate': 'Bearer error="invalid_token"' });
  }
  if (isHttpProblem(error)) {
    // `@keel/http`'s refusals (429 from the rate limit, 409/422 from Idempotency-Key, 413 from
    // the body reader) keep their status and headers.
    return answer(error.status, error.code, error.message, { ...error.headers });
  }
  if (isRateLimitedError(error)) {
    return answer(429, error.code, error.message, retryAfterSeconds(error.retryAfter));
  }
  if (isRouteNotFoundError(error)) {
    if (error.allowed.length === 0) return answer(404, error.code, error.message);
    return answer(405, error.code, error.message, { allow: error.allowed.join(', ') });
  }
  if (isNotFoundError(error)) return answer(404, error.code, error.message);
  return undefined;
}

function upstreamError(error: unknown): HttpError | undefined {
  if (isBrokenCircuitError(error)) {
    return answer(503, error.code, error.message, retryAfterSeconds(error.retryAfter));
  }
  if (isNoEndpointAvailableError(error)) return answer(503, error.code, error.message);
  if (isTimeoutError(error)) return answer(504, error.code, error.message);
  if (isUnexpectedAnswerError(error)) return answer(502, error.code, error.message);
  return undefined;
}

/**
 * Maps an error to a status, headers and a JSON body: 400 with every validation issue, 401,
 * 404/405, 413, 429 and 503 with `Retry-After`, 502 and 504. Anything else is a 500 whose
 * message reveals nothing internal.
 */
export function toHttpError(error: unknown): HttpError {
  return (
    clientError(error) ??
    upstreamError(error) ??
    answer(500, isKeelError(error) ? error.code : 'INTERNAL', 'The gateway failed to handle the request.')
  );
}
