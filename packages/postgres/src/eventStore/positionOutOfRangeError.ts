import { isKeelError, KeelError } from '@keel/core';
import type { KeelErrorOptions } from '@keel/core';

/** The stable code of {@link PositionOutOfRangeError}. */
export const POSITION_OUT_OF_RANGE_CODE = 'POSTGRES_POSITION_OUT_OF_RANGE';

/**
 * A global position or stream version would pass 2^53 - 1, the largest integer a JavaScript
 * number holds exactly. The store refuses to append past it, and refuses to read a row beyond
 * it rather than hand out a rounded position (two events would share one).
 */
export class PositionOutOfRangeError extends KeelError {
  constructor(options: KeelErrorOptions & { value?: string } = {}) {
    super(
      POSITION_OUT_OF_RANGE_CODE,
      `An event position or version${options.value === undefined ? '' : ` (${options.value})`} is past 2^53 - 1 (${Number.MAX_SAFE_INTEGER}), ` +
        'which a JavaScript number cannot hold exactly; nothing was appended. Archive the store into a new schema.',
      options,
    );
  }
}

/** Whether `value` is a {@link PositionOutOfRangeError}, from any loaded copy of this package. */
export function isPositionOutOfRangeError(value: unknown): value is PositionOutOfRangeError {
  return isKeelError(value, POSITION_OUT_OF_RANGE_CODE);
}
