import { isKeelError, KeelError } from '@keel/core';
import type { KeelErrorOptions } from '@keel/core';

/** The stable code of {@link TransportClosedError}. */
export const TRANSPORT_CLOSED_CODE = 'CQRS_TRANSPORT_CLOSED';

/** The code suffix that marks a transport-closed error of any transport package. */
const CLOSED_SUFFIX = '_TRANSPORT_CLOSED';

/**
 * An {@link EventTransport} was asked to `publish` or `subscribe` after `close()`. Nothing was
 * sent or subscribed. Create a new transport.
 *
 * Transports in other packages may throw their own error for this; they satisfy
 * {@link isTransportClosedError} when their `code` ends in `_TRANSPORT_CLOSED` (as
 * `@keel/nats`'s `NATS_TRANSPORT_CLOSED` does).
 *
 * @example
 * ```ts
 * await transport.close();
 * await transport.publish([event]).catch((error) => isTransportClosedError(error)); // true
 * ```
 */
export class TransportClosedError extends KeelError {
  /** What was attempted: `publish` or `subscribe`. */
  readonly operation: string;

  constructor(transport: string, operation: string, options: KeelErrorOptions = {}) {
    super(TRANSPORT_CLOSED_CODE, `Cannot ${operation}: the ${transport} is closed. Create a new transport.`, {
      ...options,
      details: { ...options.details, transport, operation },
    });
    this.operation = operation;
  }
}

/**
 * Whether `value` says a transport was used after it closed: a {@link TransportClosedError}
 * (from any loaded copy of Keel) or any Keel error whose code ends in `_TRANSPORT_CLOSED`, such
 * as `@keel/nats`'s `NatsTransportClosedError`.
 */
export function isTransportClosedError(value: unknown): value is KeelError {
  return isKeelError(value) && (value.code === TRANSPORT_CLOSED_CODE || value.code.endsWith(CLOSED_SUFFIX));
}
