import { isKeelError, KeelError } from '@keel/core';
import type { KeelErrorOptions } from '@keel/core';

/** Stable codes of the caching errors. */
export const CACHING_ERROR_CODES = Object.freeze({
  closed: 'CACHE_CLOSED',
} as const);

/**
 * A write reached a cache strategy after its `close()` began; the write was not accepted.
 * Send it before closing, or to a new instance.
 */
export class CacheClosedError extends KeelError {
  /** The kind of object that was closed, e.g. `write-behind`. */
  readonly subject: string;

  constructor(subject: string, options: KeelErrorOptions = {}) {
    super(
      CACHING_ERROR_CODES.closed,
      `The ${subject} is closed and accepts no more writes; write before close().`,
      {
        ...options,
        details: { ...options.details, subject },
      },
    );
    this.subject = subject;
  }
}

/** Whether `value` is a {@link CacheClosedError} (from any loaded copy of Keel). */
export function isCacheClosedError(value: unknown): value is CacheClosedError {
  return isKeelError(value, CACHING_ERROR_CODES.closed);
}
