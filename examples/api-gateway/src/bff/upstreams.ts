import { NotFoundError } from '@keel/core';
import type { UpstreamResponse } from '@keel/http';
import { UnexpectedAnswerError } from '../gateway/errors.js';
import type { ServiceUpstream } from '../gateway/upstream.js';

/** The upstream services the BFFs call. */
export interface Upstreams {
  readonly users: ServiceUpstream;
  readonly orders: ServiceUpstream;
  readonly catalog: ServiceUpstream;
}

/**
 * Returns the JSON body of a 2xx answer; turns a 404 into core's `NotFoundError`, and any other
 * status (a 5xx once retries ran out) into a `KeelError` the gateway maps to 502.
 */
export function bodyOf<TBody>(response: UpstreamResponse, kind: string, id: string): TBody {
  if (response.ok) return response.json<TBody>();
  if (response.status === 404) throw new NotFoundError(kind, id);
  throw new UnexpectedAnswerError(kind, response.status);
}
