import { NotFoundError } from '@keel/core';
import { UnexpectedAnswerError } from '../gateway/errors.js';
import type { Upstream, UpstreamResponse } from '../gateway/upstream.js';

/** The upstream services the BFFs call. */
export interface Upstreams {
  readonly users: Upstream;
  readonly orders: Upstream;
  readonly catalog: Upstream;
}

/**
 * Returns the body of a 2xx answer; turns a 404 into core's `NotFoundError`, and any other
 * status into a `KeelError` the gateway maps to 502.
 */
export function bodyOf<TBody>(response: UpstreamResponse<TBody>, kind: string, id: string): TBody {
  if (response.status >= 200 && response.status < 300) return response.body;
  if (response.status === 404) throw new NotFoundError(kind, id);
  throw new UnexpectedAnswerError(kind, response.status);
}
