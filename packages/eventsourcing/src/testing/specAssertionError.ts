import { isKeelError, KeelError } from '@keel/core';

/** The stable code of {@link SpecAssertionError}. */
export const SPEC_ASSERTION_FAILED = 'SPEC_ASSERTION_FAILED';

/** What a {@link SpecAssertionError} is built from. */
export interface SpecAssertionErrorOptions {
  /** What the specification expected. */
  readonly expected: unknown;
  /** What actually came out. */
  readonly actual: unknown;
  /** The error the code under test threw, when that is what went wrong. */
  readonly cause?: unknown;
}

/**
 * A given/when/then specification (`deciderSpec`, `aggregateSpec`) did not hold. It carries
 * `expected` and `actual`, which test runners such as vitest and Jest show as a diff, and needs
 * no runner: it is an ordinary thrown error, so the specs work under `node:test`, Mocha or
 * none at all.
 *
 * @example
 * ```ts
 * try {
 *   spec.given([opened]).when(deposit).then([]);
 * } catch (error) {
 *   if (isSpecAssertionError(error)) console.log(error.expected, error.actual);
 * }
 * ```
 */
export class SpecAssertionError extends KeelError {
  /** What the specification expected. */
  readonly expected: unknown;
  /** What actually came out. */
  readonly actual: unknown;
  /** Tells runners that print diffs (vitest, Jest, Mocha) to show one for this error. */
  readonly showDiff = true;

  constructor(message: string, options: SpecAssertionErrorOptions) {
    super(SPEC_ASSERTION_FAILED, message, options.cause === undefined ? {} : { cause: options.cause });
    this.expected = options.expected;
    this.actual = options.actual;
  }
}

/** Whether `value` is a {@link SpecAssertionError}, also from another loaded copy of the package. */
export function isSpecAssertionError(value: unknown): value is SpecAssertionError {
  return isKeelError(value, SPEC_ASSERTION_FAILED);
}
