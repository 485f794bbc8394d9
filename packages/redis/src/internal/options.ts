import { ValidationError } from '@keel/core';
import type { ValidationIssue } from '@keel/core';

/** One option check: the option's name, whether it passed, and what it must be. */
export type OptionCheck = readonly [name: string, ok: boolean, expected: string, actual: unknown];

/** Throws one `ValidationError` listing every failed check, or does nothing. */
export function checkOptions(subject: string, checks: readonly OptionCheck[]): void {
  const issues: ValidationIssue[] = checks
    .filter(([, ok]) => !ok)
    .map(([name, , expected, actual]) => ({
      path: [name],
      message: `must be ${expected} (got ${describe(actual)}).`,
    }));
  if (issues.length > 0) throw new ValidationError(issues, { subject });
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'function') return 'a function';
  return String(value);
}

/** Whether `value` is absent or passes `test`. */
export function optional<T>(value: T | undefined, test: (value: T) => boolean): boolean {
  return value === undefined || test(value);
}

/** Whether `value` is a duration in ms: a number >= 0, `Infinity` allowed. */
export function isDuration(value: unknown): boolean {
  return typeof value === 'number' && !Number.isNaN(value) && value >= 0;
}

/** Whether `value` is a finite number > 0. */
export function isPositiveFinite(value: unknown): boolean {
  return typeof value === 'number' && Number.isFinite(value) && value > 0;
}

/** Whether `value` is an integer >= 1. */
export function isPositiveInteger(value: unknown): boolean {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1;
}

/** Whether `value` is a non-empty string. */
export function isNonEmptyString(value: unknown): boolean {
  return typeof value === 'string' && value.length > 0;
}
