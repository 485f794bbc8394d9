import { isKeelError, KeelError } from '@keel/core';
import type { UpstreamResponse } from './upstreamResponse.js';

/** Stable codes of the errors of the upstream client. */
export const UPSTREAM_ERROR_CODES = Object.freeze({
  status: 'UPSTREAM_STATUS',
  discovery: 'UPSTREAM_DISCOVERY_FAILED',
});

/**
 * An upstream answered with a status the client treats as a failure of the attempt (by default
 * 408, 429, 500, 502, 503, 504). Inside the resilience pipeline it is what retry, hedge and a
 * circuit breaker see; `request()` hands back the last such answer instead of throwing it,
 * unless asked to throw (`throwOnFailureStatus`).
 */
export class UpstreamStatusError extends KeelError {
  /** The answer, body read. */
  readonly response: UpstreamResponse;

  constructor(upstream: string, response: UpstreamResponse) {
    super(
      UPSTREAM_ERROR_CODES.status,
      `Upstream "${upstream}" answered ${response.status} from endpoint "${response.endpointId}" ` +
        `after ${response.attempts} attempt(s); check that service's health or raise its capacity.`,
      { details: { upstream, status: response.status, endpoint: response.endpointId } },
    );
    this.response = response;
  }
}

/** Whether `value` is an {@link UpstreamStatusError} (from any loaded copy of Keel). */
export function isUpstreamStatusError(value: unknown): value is UpstreamStatusError {
  return isKeelError(value, UPSTREAM_ERROR_CODES.status);
}

/** The discovery function of an upstream failed; the last known endpoints stay in use. */
export class UpstreamDiscoveryError extends KeelError {
  constructor(upstream: string, cause: unknown) {
    super(
      UPSTREAM_ERROR_CODES.discovery,
      `Discovery of upstream "${upstream}" failed; the last known endpoints stay in use until the next refresh succeeds.`,
      { cause, details: { upstream } },
    );
  }
}

/** Whether `value` is an {@link UpstreamDiscoveryError} (from any loaded copy of Keel). */
export function isUpstreamDiscoveryError(value: unknown): value is UpstreamDiscoveryError {
  return isKeelError(value, UPSTREAM_ERROR_CODES.discovery);
}
