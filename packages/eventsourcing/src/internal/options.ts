import { ValidationError } from '@keel/core';

/**
 * Throws a {@link ValidationError} unless `value` is an integer in `[min, max]`.
 * Used to check option ranges at construction.
 */
export function checkInteger(
  subject: string,
  name: string,
  value: number,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `between ${min} and ${max}`;
    throw new ValidationError(
      [{ path: [name], message: `must be an integer ${range}; got ${String(value)}` }],
      {
        subject,
      },
    );
  }
  return value;
}
