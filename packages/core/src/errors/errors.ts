import { isKeelError, KeelError } from './keelError.js';
import type { KeelErrorOptions } from './keelError.js';

/** Stable codes of the shared error family. */
export const ERROR_CODES = Object.freeze({
  validation: 'VALIDATION_FAILED',
  concurrency: 'CONCURRENCY_CONFLICT',
  notFound: 'NOT_FOUND',
  timeout: 'TIMEOUT',
  cancelled: 'CANCELLED',
} as const);

/** One problem found while validating a value. */
export interface ValidationIssue {
  /** Where in the value the problem is, e.g. `['items', 0, 'price']`; empty for the root. */
  readonly path: readonly PropertyKey[];
  /** What is wrong, in words. */
  readonly message: string;
}

/** Renders a path like `items[0].price`, or `(root)` for an empty path. */
export function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(root)';
  return path
    .map((key, index) => (typeof key === 'number' ? `[${key}]` : `${index === 0 ? '' : '.'}${String(key)}`))
    .join('');
}

/**
 * A value failed validation. `issues` lists every problem found, not just the first.
 *
 * @example
 * ```ts
 * throw new ValidationError([{ path: ['amount'], message: 'must be positive' }], { subject: 'Deposit' });
 * ```
 */
export class ValidationError extends KeelError {
  /** Every problem found. */
  readonly issues: readonly ValidationIssue[];

  constructor(issues: readonly ValidationIssue[], options: KeelErrorOptions & { subject?: string } = {}) {
    const subject = options.subject ?? 'value';
    const lines = issues.map((issue) => `${formatPath(issue.path)}: ${issue.message}`);
    const count = issues.length === 1 ? '1 problem' : `${issues.length} problems`;
    super(ERROR_CODES.validation, `Invalid ${subject} (${count}): ${lines.join('; ')}`, {
      ...options,
      details: { ...options.details, subject, issues },
    });
    this.issues = Object.freeze(issues.map((issue) => Object.freeze({ ...issue })));
  }
}

/** What a {@link ConcurrencyError} knows about the conflict. */
export interface ConcurrencyConflict {
  /** The stream, aggregate or record that conflicted. */
  readonly subject: string;
  /** The version the writer expected (a number or a sentinel such as `no stream`). */
  readonly expected: number | string;
  /** The version actually found. */
  readonly actual: number | string;
}

/**
 * An optimistic-concurrency check failed: someone else changed the subject first.
 * Reload and retry.
 */
export class ConcurrencyError extends KeelError {
  readonly subject: string;
  readonly expected: number | string;
  readonly actual: number | string;

  constructor(conflict: ConcurrencyConflict, options: KeelErrorOptions = {}) {
    super(
      ERROR_CODES.concurrency,
      `Expected "${conflict.subject}" at version ${String(conflict.expected)} but it is at ${String(conflict.actual)}; reload and retry.`,
      { ...options, details: { ...options.details, ...conflict } },
    );
    this.subject = conflict.subject;
    this.expected = conflict.expected;
    this.actual = conflict.actual;
  }
}

/** Something looked up by id does not exist. */
export class NotFoundError extends KeelError {
  readonly kind: string;
  readonly id: string;

  constructor(kind: string, id: string, options: KeelErrorOptions = {}) {
    super(ERROR_CODES.notFound, `${kind} "${id}" was not found.`, {
      ...options,
      details: { ...options.details, kind, id },
    });
    this.kind = kind;
    this.id = id;
  }
}

/** An operation took longer than it was allowed. */
export class TimeoutError extends KeelError {
  /** The limit that was exceeded, in milliseconds. */
  readonly timeoutMs: number;

  constructor(timeoutMs: number, options: KeelErrorOptions & { operation?: string } = {}) {
    const what = options.operation ?? 'Operation';
    super(ERROR_CODES.timeout, `${what} timed out after ${timeoutMs} ms.`, {
      ...options,
      details: { ...options.details, timeoutMs, operation: what },
    });
    this.timeoutMs = timeoutMs;
  }
}

/** An operation was cancelled, usually through an `AbortSignal`. */
export class CancelledError extends KeelError {
  constructor(message = 'The operation was cancelled.', options: KeelErrorOptions = {}) {
    super(ERROR_CODES.cancelled, message, options);
  }
}

/** Whether `value` is a {@link ValidationError} (from any loaded copy of Keel). */
export function isValidationError(value: unknown): value is ValidationError {
  return isKeelError(value, ERROR_CODES.validation);
}

/** Whether `value` is a {@link ConcurrencyError} (from any loaded copy of Keel). */
export function isConcurrencyError(value: unknown): value is ConcurrencyError {
  return isKeelError(value, ERROR_CODES.concurrency);
}

/** Whether `value` is a {@link NotFoundError} (from any loaded copy of Keel). */
export function isNotFoundError(value: unknown): value is NotFoundError {
  return isKeelError(value, ERROR_CODES.notFound);
}

/** Whether `value` is a {@link TimeoutError} (from any loaded copy of Keel). */
export function isTimeoutError(value: unknown): value is TimeoutError {
  return isKeelError(value, ERROR_CODES.timeout);
}

/** Whether `value` is a {@link CancelledError} (from any loaded copy of Keel). */
export function isCancelledError(value: unknown): value is CancelledError {
  return isKeelError(value, ERROR_CODES.cancelled);
}
