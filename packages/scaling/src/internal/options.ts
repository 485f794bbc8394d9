import { ValidationError } from '@keel/core';
import type { ValidationIssue } from '@keel/core';

/** A check of one option: `undefined` when fine, otherwise what is wrong. */
export type OptionCheck = readonly [path: string, problem: string | undefined];

/** Throws one `ValidationError` listing every failed check, naming what was being configured. */
export function assertOptions(subject: string, checks: readonly OptionCheck[]): void {
  const issues: ValidationIssue[] = [];
  for (const [path, problem] of checks) {
    if (problem !== undefined) issues.push({ path: path.split('.'), message: problem });
  }
  if (issues.length > 0) throw new ValidationError(issues, { subject });
}

/** `undefined` when `value` is an integer within [min, max], else a message with the value. */
export function integerIn(value: number, min: number, max = Number.MAX_SAFE_INTEGER): string | undefined {
  return Number.isInteger(value) && value >= min && value <= max
    ? undefined
    : `must be an integer from ${min} to ${max}; got ${value}`;
}

/** `undefined` when `value` is a finite number within [min, max], else a message with the value. */
export function numberIn(value: number, min: number, max = Number.MAX_VALUE): string | undefined {
  return Number.isFinite(value) && value >= min && value <= max
    ? undefined
    : `must be a number from ${min} to ${max}; got ${value}`;
}

/** `undefined` when `value` is a finite number above `min`, else a message with the value. */
export function numberAbove(value: number, min: number): string | undefined {
  return Number.isFinite(value) && value > min ? undefined : `must be a number above ${min}; got ${value}`;
}
