import { isKeelError, KeelError } from '@keel/core';

/** The stable code of {@link NoEndpointAvailableError}. */
export const NO_ENDPOINT_AVAILABLE = 'NO_ENDPOINT_AVAILABLE';

/** A load balancer had no endpoint to send a request to. */
export class NoEndpointAvailableError extends KeelError {
  constructor(total: number, ejected: number, strategy: string) {
    const why =
      total === 0
        ? 'it has no endpoints; add one with add()'
        : `${ejected} of ${total} endpoint(s) are ejected and strategy "${strategy}" refused the rest`;
    super(NO_ENDPOINT_AVAILABLE, `No endpoint available: ${why}.`, { details: { total, ejected, strategy } });
  }
}

/** Whether `value` is a {@link NoEndpointAvailableError} (from any loaded copy of Keel). */
export function isNoEndpointAvailableError(value: unknown): value is NoEndpointAvailableError {
  return isKeelError(value, NO_ENDPOINT_AVAILABLE);
}
